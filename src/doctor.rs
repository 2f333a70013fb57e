//! What `doctor` says of a profile's devices besides that they answer: the
//! pairs each rig offers, which scenarios they can and cannot serve, and
//! how long a run on them would take, from a short sample of round trips.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mitid_e2e_framework::duration::seconds;
use mitid_e2e_framework::locators::Locators;
use mitid_e2e_framework::phone::{Phone, RequestKind, SessionRequest};
use mitid_e2e_framework::pool::DevicePool;
use mitid_e2e_framework::profile::{PhoneProfile, Profile};

use crate::lint::ListedScenario;

/// A device as `doctor` names it: "Pixel 8 (Android 14, phone, fingerprint)".
fn device(p: &PhoneProfile) -> String {
    let name = p.model.clone().unwrap_or_else(|| p.udid.clone());
    format!("{name} ({} {}, {}, {})", p.platform.name(), p.os_version, p.form.name(), p.biometric().name())
}

/// Per rig: its devices, and the pairs (old → new) it can lease, by
/// platform and form.
pub fn rigs(phones: &[PhoneProfile]) -> Vec<String> {
    let mut by_rig: BTreeMap<&str, Vec<&PhoneProfile>> = BTreeMap::new();
    for p in phones {
        by_rig.entry(p.rig.as_str()).or_default().push(p);
    }
    by_rig
        .into_iter()
        .map(|(rig, on)| {
            let mut pairs = std::collections::BTreeSet::new();
            for (i, old) in on.iter().enumerate() {
                for (j, new) in on.iter().enumerate() {
                    if i != j {
                        pairs.insert(format!(
                            "{} {} → {} {}",
                            old.platform.name(),
                            old.form.name(),
                            new.platform.name(),
                            new.form.name()
                        ));
                    }
                }
            }
            let pairs = if pairs.is_empty() {
                "no pair (one device)".to_owned()
            } else {
                pairs.into_iter().collect::<Vec<_>>().join(", ")
            };
            let devices: Vec<String> = on.iter().map(|p| device(p)).collect();
            format!("{rig}: {}; pairs: {pairs}", devices.join(", "))
        })
        .collect()
}

/// Which of `scenarios` the `phones` can serve: the count that can, and
/// each that cannot with why (what it needs, or tags that contradict).
pub fn served(phones: &[PhoneProfile], scenarios: &[ListedScenario]) -> (usize, Vec<String>) {
    let pool = DevicePool::new(phones.to_vec());
    let mut can = 0;
    let mut cannot = Vec::new();
    for s in scenarios {
        match mitid_e2e_steps::world::phones::need_of(s.tags.iter().map(String::as_str)) {
            Ok(need) if pool.could_serve(&need) => can += 1,
            Ok(need) => cannot.push(format!("{} '{}': needs {need}", s.place, s.name)),
            Err(why) => cannot.push(format!("{} '{}': {why}", s.place, s.name)),
        }
    }
    (can, cannot)
}

/// What each kind of request cost on the profile's devices, in a short sample.
#[derive(Debug, Default)]
pub struct Sample {
    /// Kind → the median of its samples.
    pub costs: BTreeMap<RequestKind, Duration>,
    /// The devices sampled.
    pub devices: Vec<String>,
}

impl Sample {
    /// "new session 12.1 s, find 31 ms, …".
    pub fn describe(&self) -> String {
        let each: Vec<String> = self.costs.iter().map(|(k, d)| format!("{} {}", kind_name(*k), seconds(*d))).collect();
        format!("{} (on {})", each.join(", "), self.devices.join(", "))
    }
}

fn kind_name(k: RequestKind) -> &'static str {
    match k {
        RequestKind::Session => "new session",
        other => other.name(),
    }
}

/// Times a few requests of each kind on one device of each platform the
/// profile has: a new session, finds, page sources, a screenshot, a
/// `mobile:` method, and ending the session.
pub async fn sample(profile: &Profile, appium: &str, fixtures: &Path) -> anyhow::Result<Sample> {
    let mut samples: BTreeMap<RequestKind, Vec<Duration>> = BTreeMap::new();
    let mut devices = Vec::new();
    let mut platforms = std::collections::BTreeSet::new();
    for p in profile.phones.iter().filter(|p| platforms.insert(p.platform.name())) {
        let locators = Arc::new(Locators::load(&fixtures.join("locators"), p.platform)?);
        let started = Instant::now();
        let mut phone = Phone::connect(SessionRequest {
            url: appium,
            role: "the sampled phone",
            udid: &p.udid,
            platform: p.platform,
            app_id: profile.app.id(p.platform),
            capabilities: profile.capabilities(p),
            locators,
            connect_timeout: profile.timeouts.connect(),
            find_timeout: profile.timeouts.find(),
        })
        .await?;
        samples.entry(RequestKind::Session).or_default().push(started.elapsed());
        devices.push(device(p));
        let timed = |kind: RequestKind, since: Instant, samples: &mut BTreeMap<RequestKind, Vec<Duration>>| {
            samples.entry(kind).or_default().push(since.elapsed());
        };
        let outcome = async {
            for _ in 0..5 {
                let t = Instant::now();
                phone.is_on("home").await?;
                timed(RequestKind::Find, t, &mut samples);
            }
            for _ in 0..3 {
                let t = Instant::now();
                phone.source().await?;
                timed(RequestKind::PageSource, t, &mut samples);
            }
            let t = Instant::now();
            phone.screenshot().await?;
            timed(RequestKind::Screenshot, t, &mut samples);
            let t = Instant::now();
            phone.device_millis().await?;
            timed(RequestKind::Mobile, t, &mut samples);
            anyhow::Ok(())
        }
        .await;
        let t = Instant::now();
        phone.close().await?;
        samples.entry(RequestKind::Other).or_default().push(t.elapsed());
        outcome?;
    }
    let costs = samples
        .into_iter()
        .map(|(k, mut d)| {
            d.sort();
            (k, d[d.len() / 2])
        })
        .collect();
    Ok(Sample { costs, devices })
}

/// The requests a scenario sends, by kind: from the latest run's
/// `run.json` where there is one, else the suite's on the virtual farm.
pub fn request_mix(report_dir: &Path) -> (BTreeMap<String, f64>, String) {
    let latest = report_dir.join("latest").join(crate::report::run_info::FILE_NAME);
    if let Ok(info) = crate::report::run_info::RunInfo::read(&report_dir.join("latest")) {
        let n = info.requests.per_scenario.len();
        if n > 0 {
            let mix = info.requests.by_kind.iter().map(|(k, c)| (k.clone(), *c as f64 / n as f64)).collect();
            return (mix, format!("the mix of {}", latest.display()));
        }
    }
    // Measured on the virtual farm: the whole suite, 2026-12-06 (per scenario).
    let suite = [
        ("session", 4.0),
        ("find", 52.5),
        ("element", 26.9),
        ("page source", 26.8),
        ("screenshot", 1.5),
        ("mobile", 9.5),
    ];
    (
        suite.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
        "the suite's mix on the virtual farm (no reports/latest/run.json yet)".to_owned(),
    )
}

/// How long `scenarios` take at `concurrency` when each sends `mix` at the
/// sampled costs. Half of the session requests start one (dear); the other
/// half end one.
pub fn estimate(sample: &Sample, mix: &BTreeMap<String, f64>, scenarios: usize, concurrency: usize) -> Duration {
    let cost = |kind: RequestKind| sample.costs.get(&kind).copied().unwrap_or_default().as_secs_f64();
    let per_scenario: f64 = mix
        .iter()
        .map(|(k, n)| match k.as_str() {
            "session" => n / 2.0 * (cost(RequestKind::Session) + cost(RequestKind::Other)),
            "find" => n * cost(RequestKind::Find),
            "page source" => n * cost(RequestKind::PageSource),
            "screenshot" => n * cost(RequestKind::Screenshot),
            // An element's command is priced as a find: one element, one round trip.
            "element" => n * cost(RequestKind::Find),
            "mobile" => n * cost(RequestKind::Mobile),
            _ => n * cost(RequestKind::Other),
        })
        .sum();
    Duration::from_secs_f64(per_scenario * scenarios as f64 / concurrency.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitid_e2e_framework::profile::{Form, Platform};

    fn phone(udid: &str, platform: Platform, rig: &str, form: Form) -> PhoneProfile {
        PhoneProfile {
            udid: udid.into(),
            platform,
            os_version: "14".into(),
            rig: rig.into(),
            model: None,
            control: None,
            capabilities: Default::default(),
            bluetooth_address: None,
            biometric: None,
            form,
        }
    }

    #[test]
    fn each_rig_says_its_pairs_and_a_scenario_no_rig_can_serve_says_what_it_needs() {
        let phones = [
            phone("a1", Platform::Android, "r1", Form::Phone),
            phone("i1", Platform::Ios, "r1", Form::Phone),
            phone("a2", Platform::Android, "r2", Form::Phone),
        ];
        let lines = rigs(&phones);
        assert!(lines[0].starts_with("r1: a1 (Android 14, phone, fingerprint)"), "{lines:?}");
        assert!(lines[0].contains("Android phone → iOS phone, iOS phone → Android phone"), "{lines:?}");
        assert!(lines[1].ends_with("pairs: no pair (one device)"), "{lines:?}");
        let listed = |tags: &[&str]| ListedScenario {
            place: "f.feature:3".into(),
            name: "n".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        };
        let (can, cannot) =
            served(&phones, &[listed(&["old-ios", "new-android"]), listed(&["ios"]), listed(&["ios", "new-android"])]);
        assert_eq!(can, 1);
        assert!(cannot[0].contains("needs 2 iOS devices on one rig"), "{cannot:?}");
        assert!(cannot[1].contains("another tag of the scenario asks for iOS"), "{cannot:?}");
    }

    #[test]
    fn an_estimate_is_the_mix_at_the_sampled_costs_over_the_concurrency() {
        let sample = Sample {
            costs: BTreeMap::from([
                (RequestKind::Session, Duration::from_secs(10)),
                (RequestKind::Other, Duration::ZERO),
                (RequestKind::Find, Duration::from_millis(100)),
            ]),
            devices: Vec::new(),
        };
        let mix = BTreeMap::from([("session".to_owned(), 2.0), ("find".to_owned(), 10.0)]);
        // One new session (10 s) and ten finds (1 s) per scenario; 4 scenarios two at a time.
        assert_eq!(estimate(&sample, &mix, 4, 2), Duration::from_secs(22));
    }
}
