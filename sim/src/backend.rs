//! The simulated MitID backend: identities and their active apps, copy
//! requests with their waiting period, QR sessions, temporary PINs, and the
//! SMS and push messages it sends through the configured gateways.
//!
//! Times are virtual: `Duration` since the farm's clock started.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;

use crate::config::Defect;
use crate::rules;

/// A person with MitID.
#[derive(Clone, Serialize)]
pub struct Identity {
    pub user_id: String,
    pub phone_number: String,
    #[serde(skip)]
    pub pin: String,
    /// Active apps: farm phones by udid, or `None` for an app on a phone
    /// outside the farm (provisioned to test the limit).
    pub apps: Vec<Option<String>>,
    /// The farm phones whose app approves with biometric (step 24's "yes";
    /// a provisioned app does when its phone has a biometric enrolled).
    pub biometric: std::collections::BTreeSet<String>,
    /// Every temporary PIN code sent to this person, newest last: only the
    /// newest attempt's may be accepted ([`Defect::EarlierTemporaryPinAccepted`]
    /// accepts any of them).
    #[serde(skip)]
    pub temporary_pins_sent: Vec<String>,
}

// The Debug of anything holding secrets must not show them.
impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("apps", &self.apps).finish_non_exhaustive()
    }
}

/// Step 6: a copy started on an old phone, waiting for its hour.
#[derive(Debug, Clone, Serialize)]
pub struct CopyRequest {
    pub id: u64,
    #[serde(skip)]
    pub user_id: String,
    pub old_udid: String,
    pub started_at_secs: u64,
    pub ready_at_secs: u64,
    pub push_sent: bool,
    pub completed: bool,
}

/// Step 12: a QR code shown by the old phone.
#[derive(Debug, Clone)]
pub struct QrSession {
    pub id: String,
    pub nonce: String,
    /// What the old phone's beacon carries in its service UUID: bound to this
    /// session, and not derivable from the QR payload.
    pub beacon_token: String,
    pub copy_request: u64,
    pub old_udid: String,
    pub expires_at: Duration,
    pub used_by: Option<String>,
    /// A newer code of the same copy replaced it, or the old phone
    /// cancelled it: it is dead, valid time left or not.
    pub replaced: bool,
    /// The attempt it started was blocked on the new phone: the old phone
    /// must show a new code to start again.
    pub blocked: bool,
}

impl QrSession {
    /// Whether the code is past its 3 minutes at `now` (by the clock of the
    /// phone that shows it): "valid for 3 minutes" is valid while less than
    /// 3 minutes have passed. `never_expires`: [`Defect::QrNeverExpires`].
    pub fn expired(&self, now: Duration, never_expires: bool) -> bool {
        now >= self.expires_at && !never_expires
    }

    pub fn payload(&self) -> String {
        format!("MITID-COPY:1:{}:{}", self.id, self.nonce)
    }
}

/// A new phone's way through steps 19-26, after its scan was accepted.
#[derive(Clone)]
pub struct Enrolment {
    /// How far the copy has come, as the backend has confirmed it: where a
    /// reopened new app resumes.
    pub stage: EnrolmentStage,
    pub qr_session: String,
    pub user_id: String,
    pub user_id_attempts_left: u32,
    pub temporary_pin: Option<(String, Duration)>,
    pub temporary_pin_attempts_left: u32,
}

/// How far a new phone's copy has come (steps 19-21), as the backend has
/// confirmed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolmentStage {
    /// The QR code was scanned (step 19): the user ID is next.
    Scanned,
    /// The user ID was confirmed and the temporary PIN sent (step 20).
    UserIdConfirmed,
    /// The temporary PIN was confirmed (step 21): the personal PIN is next.
    TemporaryPinConfirmed,
    /// Too many wrong user IDs or temporary PIN codes, or a temporary PIN
    /// code past its time: this attempt is over, whatever is typed next.
    Blocked,
}

/// Why the backend refuses a temporary PIN code (step 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporaryPinRefusal {
    /// Not the code sent for this attempt; this many attempts are left.
    Wrong(u32),
    /// The code sent, but past [`rules::TEMPORARY_PIN_VALIDITY`]: the attempt is blocked.
    Expired,
    /// The attempt is blocked: no code opens it again.
    Blocked,
}

/// An HTTP POST the backend owes a gateway; sent outside the farm's lock.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// An SMS or a push.
    pub channel: Channel,
    /// The phone it concerns: a push's old phone, an SMS's new phone (whose
    /// step 20 sent it); a fault scoped to a phone matches this.
    pub udid: String,
    pub url: String,
    pub body: serde_json::Value,
    /// What to call it in logs and diagnostics (never the body: it may hold a
    /// temporary PIN).
    pub what: String,
}

/// Which gateway a message goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Push,
}

/// Where the backend sends SMS and push messages.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateways {
    pub sms_url: Option<String>,
    pub push_url: Option<String>,
}

/// Why the backend refuses a scanned QR code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanRefusal {
    NotMitId,
    /// A newer code replaced it, or it was cancelled.
    Replaced,
    Expired,
    AlreadyUsed,
    NotInProximity,
}

#[derive(Default)]
pub struct Backend {
    pub identities: HashMap<String, Identity>,
    pub copy_requests: HashMap<u64, CopyRequest>,
    pub qr_sessions: HashMap<String, QrSession>,
    pub enrolments: HashMap<String, Enrolment>,
    pub gateways: Gateways,
    pub outbox: Vec<Outgoing>,
    /// Messages not sent, and why: for diagnostics.
    pub undelivered: Vec<String>,
    next_id: u64,
}

impl Backend {
    pub fn identity_of_app(&self, udid: &str) -> Option<&Identity> {
        self.identities.values().find(|i| i.apps.iter().any(|a| a.as_deref() == Some(udid)))
    }

    /// Step 24's "yes": the app on this phone approves with biometric.
    pub fn approve_with_biometric(&mut self, udid: &str) {
        let owner = self.identity_of_app(udid).map(|i| i.user_id.clone());
        if let Some(identity) = owner.and_then(|u| self.identities.get_mut(&u)) {
            identity.biometric.insert(udid.to_owned());
        }
    }

    pub fn active_apps(&self, user_id: &str) -> usize {
        self.identities.get(user_id).map_or(0, |i| i.apps.len())
    }

    pub fn check_pin(&self, udid: &str, pin: &str) -> bool {
        self.identity_of_app(udid).is_some_and(|i| i.pin == pin)
    }

    /// The copy request of the app on this phone that has not completed.
    pub fn open_copy_request(&self, udid: &str) -> Option<&CopyRequest> {
        self.copy_requests.values().find(|r| r.old_udid == udid && !r.completed)
    }

    /// Step 6: start the waiting period.
    pub fn start_copy(&mut self, udid: &str, now: Duration, defects: &[Defect]) -> Option<u64> {
        let user_id = self.identity_of_app(udid)?.user_id.clone();
        self.next_id += 1;
        let wait = if defects.contains(&Defect::WaitSkipped) { Duration::ZERO } else { rules::WAITING_PERIOD };
        let request = CopyRequest {
            id: self.next_id,
            user_id,
            old_udid: udid.to_owned(),
            started_at_secs: now.as_secs(),
            ready_at_secs: (now + wait).as_secs(),
            push_sent: false,
            completed: false,
        };
        self.copy_requests.retain(|_, r| r.old_udid != udid || r.completed);
        self.copy_requests.insert(request.id, request);
        if defects.contains(&Defect::PushSentEarly) {
            self.send_due_pushes(&|_| Duration::MAX);
        }
        Some(self.next_id)
    }

    /// Push "the waiting time is over" for every request whose hour is up
    /// by its old phone's clock.
    pub fn send_due_pushes(&mut self, now_of: &dyn Fn(&str) -> Duration) {
        let mut due: Vec<(u64, String)> = self
            .copy_requests
            .values()
            .filter(|r| !r.push_sent && !r.completed && Duration::from_secs(r.ready_at_secs) <= now_of(&r.old_udid))
            .map(|r| (r.id, r.old_udid.clone()))
            .collect();
        due.sort();
        for (id, udid) in due {
            if let Some(r) = self.copy_requests.get_mut(&id) {
                r.push_sent = true;
            }
            let body = serde_json::json!({
                "device": udid,
                "title": "MitID",
                "body": "The waiting time is over. You can now copy your MitID app to your new phone/tablet.",
            });
            self.post(Channel::Push, &udid, body, format!("push to {udid}"));
        }
    }

    /// Step 12: a new QR code for the request, valid 3 minutes.
    /// Every earlier code of the same copy dies with it.
    pub fn new_qr_session(&mut self, request: u64, now: Duration) -> Option<QrSession> {
        let r = self.copy_requests.get(&request)?;
        let old_udid = r.old_udid.clone();
        for earlier in self.qr_sessions.values_mut().filter(|s| s.copy_request == request) {
            earlier.replaced = true;
        }
        let session = QrSession {
            id: random_hex(8),
            nonce: random_hex(8),
            beacon_token: random_hex(rules::BEACON_TOKEN_BYTES),
            copy_request: request,
            old_udid,
            expires_at: now + rules::QR_VALIDITY,
            used_by: None,
            replaced: false,
            blocked: false,
        };
        self.qr_sessions.insert(session.id.clone(), session.clone());
        Some(session)
    }

    /// The old phone cancelled its QR code: it is dead.
    pub fn cancel_qr_session(&mut self, id: &str) {
        if let Some(s) = self.qr_sessions.get_mut(id) {
            s.replaced = true;
        }
    }

    /// Step 19: what the new phone's scan amounts to. `beacon_seen` says
    /// whether the new phone heard the session's beacon token.
    /// The QR session a scanned payload (`MITID-COPY:1:<id>:<nonce>`) names.
    pub fn qr_session_of(&self, payload: &str) -> Option<&QrSession> {
        let mut parts = payload.trim().split(':');
        let (Some("MITID-COPY"), Some("1"), Some(id), Some(nonce), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        self.qr_sessions.get(id).filter(|s| s.nonce == nonce)
    }

    pub fn accept_scan(
        &mut self,
        payload: &str,
        new_udid: &str,
        now_of: impl Fn(&str) -> Duration,
        beacon_seen: impl Fn(&QrSession) -> bool,
        defects: &[Defect],
    ) -> Result<(), ScanRefusal> {
        let session = self.qr_session_of(payload).ok_or(ScanRefusal::NotMitId)?;
        if session.replaced && !defects.contains(&Defect::ReplacedQrAccepted) {
            return Err(ScanRefusal::Replaced);
        }
        // The code expires by the clock of the phone that shows it.
        if session.expired(now_of(&session.old_udid), defects.contains(&Defect::QrNeverExpires)) {
            return Err(ScanRefusal::Expired);
        }
        if session.used_by.is_some() {
            return Err(ScanRefusal::AlreadyUsed);
        }
        if !defects.contains(&Defect::NoProximityCheck) && !beacon_seen(session) {
            return Err(ScanRefusal::NotInProximity);
        }
        let user_id =
            self.copy_requests.get(&session.copy_request).map(|r| r.user_id.clone()).ok_or(ScanRefusal::NotMitId)?;
        let session_id = session.id.clone();
        if let Some(s) = self.qr_sessions.get_mut(&session_id) {
            s.used_by = Some(new_udid.to_owned());
        }
        self.enrolments.insert(
            new_udid.to_owned(),
            Enrolment {
                stage: EnrolmentStage::Scanned,
                qr_session: session_id,
                user_id,
                user_id_attempts_left: rules::USER_ID_ATTEMPTS,
                temporary_pin: None,
                temporary_pin_attempts_left: rules::TEMPORARY_PIN_ATTEMPTS,
            },
        );
        Ok(())
    }

    /// Step 20. `Ok` sends the temporary PIN by SMS; `Err(n)` has n
    /// attempts left, 0 when the attempt is blocked. The user ID must be
    /// this copy's person's, in any letter case
    /// ([`rules::USER_ID_CASE_SENSITIVE`]).
    pub fn check_user_id(
        &mut self,
        new_udid: &str,
        entered: &str,
        now: Duration,
        defects: &[Defect],
    ) -> Result<(), u32> {
        let entered = entered.trim();
        let someone_registered = |id: &str| self.identities.keys().any(|k| same_user_id(k, id, defects));
        let Some(e) = self.enrolments.get_mut(new_udid) else { return Err(0) };
        if blocked(e, defects) {
            return Err(0);
        }
        let mine = same_user_id(&e.user_id, entered, defects)
            || defects.contains(&Defect::WrongUserIdAccepted)
            || (defects.contains(&Defect::AnotherPersonsUserIdAccepted) && someone_registered(entered));
        if !mine {
            if !defects.contains(&Defect::NoUserIdLockout) {
                e.user_id_attempts_left = e.user_id_attempts_left.saturating_sub(1);
            }
            if e.user_id_attempts_left == 0 {
                self.block_attempt(new_udid);
            }
            return Err(self.enrolments.get(new_udid).map_or(0, |e| e.user_id_attempts_left));
        }
        let pin = random_digits(rules::TEMPORARY_PIN_LENGTH);
        e.temporary_pin = Some((pin.clone(), now + rules::TEMPORARY_PIN_VALIDITY));
        e.stage = EnrolmentStage::UserIdConfirmed;
        let user_id = e.user_id.clone();
        let phone_number = match self.identities.get_mut(&user_id) {
            Some(i) => {
                i.temporary_pins_sent.push(pin.clone());
                i.phone_number.clone()
            }
            None => String::new(),
        };
        let minutes = rules::TEMPORARY_PIN_VALIDITY.as_secs() / 60;
        let body = serde_json::json!({
            "to": phone_number,
            "text": format!("Your temporary PIN code for MitID is {pin}. It is valid for {minutes} minutes."),
        });
        self.post(Channel::Sms, new_udid, body, format!("SMS to the phone number of {new_udid}'s identity"));
        Ok(())
    }

    /// This new phone's attempt is over: its QR code tells the old phone so.
    fn block_attempt(&mut self, new_udid: &str) {
        if let Some(e) = self.enrolments.get_mut(new_udid) {
            e.stage = EnrolmentStage::Blocked;
            let session = e.qr_session.clone();
            if let Some(s) = self.qr_sessions.get_mut(&session) {
                s.blocked = true;
            }
        }
    }

    /// The new phone's person acknowledged the block: the attempt is gone,
    /// and a new scan starts the next one.
    pub fn end_blocked_attempt(&mut self, new_udid: &str) {
        if self.enrolments.get(new_udid).is_some_and(|e| e.stage == EnrolmentStage::Blocked) {
            self.enrolments.remove(new_udid);
        }
    }

    /// Step 21: only the code sent for this attempt, within its time.
    pub fn check_temporary_pin(
        &mut self,
        new_udid: &str,
        entered: &str,
        now: Duration,
        defects: &[Defect],
    ) -> Result<(), TemporaryPinRefusal> {
        let Some(e) = self.enrolments.get(new_udid) else { return Err(TemporaryPinRefusal::Blocked) };
        if blocked(e, defects) {
            return Err(TemporaryPinRefusal::Blocked);
        }
        let entered = entered.trim();
        let earlier = defects.contains(&Defect::EarlierTemporaryPinAccepted)
            && self.identities.get(&e.user_id).is_some_and(|i| i.temporary_pins_sent.iter().any(|p| p == entered));
        let (right, in_time) = match &e.temporary_pin {
            Some((pin, until)) => {
                (pin == entered || earlier, now < *until || defects.contains(&Defect::ExpiredTemporaryPinAccepted))
            }
            None => (false, true),
        };
        if (right && in_time) || defects.contains(&Defect::AnyTemporaryPinAccepted) {
            if let Some(e) = self.enrolments.get_mut(new_udid) {
                e.stage = EnrolmentStage::TemporaryPinConfirmed;
            }
            return Ok(());
        }
        if right {
            self.block_attempt(new_udid);
            return Err(TemporaryPinRefusal::Expired);
        }
        let Some(e) = self.enrolments.get_mut(new_udid) else { return Err(TemporaryPinRefusal::Blocked) };
        if !defects.contains(&Defect::NoTemporaryPinLockout) {
            e.temporary_pin_attempts_left = e.temporary_pin_attempts_left.saturating_sub(1);
        }
        let left = e.temporary_pin_attempts_left;
        if left == 0 {
            self.block_attempt(new_udid);
            return Err(TemporaryPinRefusal::Blocked);
        }
        Err(TemporaryPinRefusal::Wrong(left))
    }

    /// Step 26: the new app becomes active. `Err` when the identity already
    /// has the most apps allowed.
    pub fn complete_activation(&mut self, new_udid: &str, pin: &str, defects: &[Defect]) -> Result<String, ()> {
        let e = self.enrolments.get(new_udid).cloned().ok_or(())?;
        let request = self.qr_sessions.get(&e.qr_session).map(|s| s.copy_request);
        let identity = self.identities.get_mut(&e.user_id).ok_or(())?;
        let limit_checked =
            !defects.contains(&Defect::FourthAppAllowed) && !defects.contains(&Defect::AppLimitCheckedOnlyAtStart);
        if identity.apps.len() >= rules::MAX_ACTIVE_APPS && limit_checked {
            return Err(());
        }
        identity.apps.push(Some(new_udid.to_owned()));
        identity.pin = pin.to_owned();
        let old_udid = request.and_then(|id| self.copy_requests.get_mut(&id)).map(|r| {
            r.completed = true;
            r.old_udid.clone()
        });
        if defects.contains(&Defect::OldAppDeactivated) {
            if let Some(old) = &old_udid {
                identity.apps.retain(|a| a.as_deref() != Some(old.as_str()));
            }
        }
        self.enrolments.remove(new_udid);
        Ok(e.user_id)
    }

    /// Queues a message for its gateway; the farm drops it there if a
    /// fault says so ([`crate::farm::Farm::take_outbox`]).
    fn post(&mut self, channel: Channel, udid: &str, body: serde_json::Value, what: String) {
        let url = match channel {
            Channel::Sms => self.gateways.sms_url.clone(),
            Channel::Push => self.gateways.push_url.clone(),
        };
        match url {
            None => self.undelivered.push(format!("{what}: no gateway URL configured (PUT /sim/gateways)")),
            Some(url) => self.outbox.push(Outgoing { channel, udid: udid.to_owned(), url, body, what }),
        }
    }
}

/// Whether an attempt is blocked. [`Defect::BlockLiftedOnRestart`] forgets
/// the block: the only way to type again on a blocked attempt is to reopen
/// the app, which that defect sends back to the question it blocked on.
fn blocked(e: &Enrolment, defects: &[Defect]) -> bool {
    e.stage == EnrolmentStage::Blocked && !defects.contains(&Defect::BlockLiftedOnRestart)
}

/// Whether two user IDs are the same person's: MitID's help page on the
/// user ID says "Whether you use upper or lower case does not make a
/// difference" ([`rules::USER_ID_CASE_SENSITIVE`]).
pub fn same_user_id(a: &str, b: &str, defects: &[Defect]) -> bool {
    if rules::USER_ID_CASE_SENSITIVE || defects.contains(&Defect::UserIdCaseSensitive) {
        a == b
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// Random lowercase hex from the OS's generator; QR nonces and beacon
/// tokens must not be guessable by a test that only sees the screen.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn random_digits(n: usize) -> String {
    let mut buf = vec![0u8; n];
    fill_random(&mut buf);
    buf.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

fn fill_random(buf: &mut [u8]) {
    // The OS generator failing is not something a test farm can recover
    // from, and a zero-filled buffer would still be a valid (if weak) value.
    if getrandom::fill(buf).is_err() {
        tracing::warn!("the OS random generator failed; using a weak fallback");
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(7, |d| d.as_nanos());
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Duration = Duration::from_secs(3600);

    /// Anna, with her app on "old", a copy whose hour is up, and one QR code
    /// shown at `T0`.
    fn backend() -> (Backend, u64, QrSession) {
        let mut b = Backend::default();
        for (user_id, phone) in [("Anna-Copy", "+4511"), ("bo-other", "+4522")] {
            b.identities.insert(
                user_id.into(),
                Identity {
                    user_id: user_id.into(),
                    phone_number: phone.into(),
                    pin: "246810".into(),
                    apps: vec![Some(format!("old-{user_id}"))],
                    biometric: Default::default(),
                    temporary_pins_sent: Vec::new(),
                },
            );
        }
        let request = b.start_copy("old-Anna-Copy", Duration::ZERO, &[]).unwrap();
        let qr = b.new_qr_session(request, T0).unwrap();
        (b, request, qr)
    }

    fn scan(b: &mut Backend, qr: &QrSession, at: Duration, defects: &[Defect]) -> Result<(), ScanRefusal> {
        b.accept_scan(&qr.payload(), "new", |_| at, |_| true, defects)
    }

    fn sent_pin(b: &Backend) -> String {
        b.outbox
            .last()
            .and_then(|m| m.body["text"].as_str())
            .unwrap()
            .split(' ')
            .nth(7)
            .unwrap()
            .trim_end_matches('.')
            .into()
    }

    #[test]
    fn a_qr_code_is_valid_while_less_than_three_minutes_have_passed() {
        let (mut b, _, qr) = backend();
        b.gateways.sms_url = Some("http://sms".into());
        assert_eq!(scan(&mut b, &qr, T0 + Duration::from_secs(180), &[]), Err(ScanRefusal::Expired));
        assert_eq!(scan(&mut b, &qr, T0 + Duration::from_millis(179_999), &[]), Ok(()));
        assert!(qr.expired(T0 + Duration::from_secs(180), false));
        assert!(!qr.expired(T0 + Duration::from_millis(179_999), false));
        assert!(!qr.expired(T0 + Duration::from_secs(180), true));
    }

    #[test]
    fn a_replaced_or_cancelled_qr_code_is_dead() {
        let (mut b, request, first) = backend();
        let second = b.new_qr_session(request, T0).unwrap();
        assert_eq!(scan(&mut b, &first, T0, &[]), Err(ScanRefusal::Replaced));
        assert_eq!(scan(&mut b, &first, T0, &[Defect::ReplacedQrAccepted]), Ok(()));
        b.cancel_qr_session(&second.id);
        assert_eq!(b.accept_scan(&second.payload(), "other", |_| T0, |_| true, &[]), Err(ScanRefusal::Replaced));
    }

    #[test]
    fn the_user_id_is_this_persons_in_any_letter_case() {
        let (mut b, _, qr) = backend();
        scan(&mut b, &qr, T0, &[]).unwrap();
        assert_eq!(b.check_user_id("new", "bo-other", T0, &[]), Err(2), "another person's user ID");
        assert_eq!(b.check_user_id("new", "anna-copy", T0, &[Defect::UserIdCaseSensitive]), Err(1));
        assert_eq!(b.check_user_id("new", "ANNA-COPY", T0, &[]), Ok(()));
    }

    #[test]
    fn three_wrong_user_ids_block_the_attempt_for_good() {
        let (mut b, _, qr) = backend();
        scan(&mut b, &qr, T0, &[]).unwrap();
        assert_eq!(b.check_user_id("new", "x", T0, &[]), Err(2));
        assert_eq!(b.check_user_id("new", "y", T0, &[]), Err(1));
        assert_eq!(b.check_user_id("new", "z", T0, &[]), Err(0));
        assert_eq!(b.check_user_id("new", "Anna-Copy", T0, &[]), Err(0), "blocked: the right one opens nothing");
        assert!(b.qr_sessions[&qr.id].blocked, "the old phone learns of the block");
        b.end_blocked_attempt("new");
        assert!(!b.enrolments.contains_key("new"));
    }

    #[test]
    fn the_temporary_pin_is_this_attempts_and_dies_at_fifteen_minutes() {
        let (mut b, request, qr) = backend();
        b.gateways.sms_url = Some("http://sms".into());
        scan(&mut b, &qr, T0, &[]).unwrap();
        b.check_user_id("new", "Anna-Copy", T0, &[]).unwrap();
        let first = sent_pin(&b);
        for _ in 0..2 {
            assert!(matches!(b.check_temporary_pin("new", "00000000", T0, &[]), Err(TemporaryPinRefusal::Wrong(_))));
        }
        assert_eq!(b.check_temporary_pin("new", "00000000", T0, &[]), Err(TemporaryPinRefusal::Blocked));
        assert_eq!(b.check_temporary_pin("new", &first, T0, &[]), Err(TemporaryPinRefusal::Blocked));
        b.end_blocked_attempt("new");
        // A new attempt: a new QR code, a new code; the first opens nothing.
        let again = b.new_qr_session(request, T0).unwrap();
        scan(&mut b, &again, T0, &[]).unwrap();
        b.check_user_id("new", "anna-copy", T0, &[]).unwrap();
        let second = sent_pin(&b);
        assert_ne!(first, second);
        assert!(matches!(b.check_temporary_pin("new", &first, T0, &[]), Err(TemporaryPinRefusal::Wrong(2))));
        let valid = rules::TEMPORARY_PIN_VALIDITY;
        assert_eq!(b.check_temporary_pin("new", &second, T0 + valid, &[]), Err(TemporaryPinRefusal::Expired));
        assert_eq!(b.enrolments["new"].stage, EnrolmentStage::Blocked);
    }

    #[test]
    fn the_limit_of_three_apps_holds_when_the_copy_completes() {
        let (mut b, _, qr) = backend();
        scan(&mut b, &qr, T0, &[]).unwrap();
        b.identities.get_mut("Anna-Copy").unwrap().apps.extend([None, None]);
        assert_eq!(b.complete_activation("new", "246810", &[]), Err(()));
        assert!(b.complete_activation("new", "246810", &[Defect::AppLimitCheckedOnlyAtStart]).is_ok());
    }
}
