//! What a virtual phone shows: a tree of UI nodes, platform-neutral.
//!
//! The app (`app`) builds a [`Screen`] for the phone's current state; the
//! page source (`source`, a `dom` tree), the locators and XPath over it
//! (`locate`, `xpath`) and screenshots (`screenshot`) are all derived from
//! it, so the three can never disagree.

/// Which driver the phone imitates: decides class names and attributes in
/// the page source, and which `mobile:` scripts exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Android,
    Ios,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Android => "Android",
            Platform::Ios => "iOS",
        }
    }

    pub fn automation_name(self) -> &'static str {
        match self {
            Platform::Android => "UiAutomator2",
            Platform::Ios => "XCUITest",
        }
    }
}

/// The kind of a node; maps to one widget class per platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The root container of a screen (or of a system dialog).
    Screen,
    /// A heading.
    Title,
    /// Body text, error messages, the time left.
    Text,
    Button,
    /// A text input whose value is shown.
    TextField,
    /// A text input whose value is masked (PINs).
    SecureField,
    /// A tick box; `checked` holds its state.
    Checkbox,
    /// One choice among several; `checked` holds its state.
    Radio,
    /// The QR code image; `Node::qr` holds its payload.
    QrCode,
    /// A decorative image (app logo, camera viewfinder).
    Image,
}

/// A rectangle in screen points (the screenshot is drawn 1:1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// One element on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Stable accessibility id (`content-desc` on Android, `name` on iOS),
    /// e.g. `copy_info_next`. Unique within a screen.
    pub id: String,
    pub role: Role,
    /// The visible text or label, in the documentation's words.
    pub text: String,
    /// What was typed into a field (unmasked; masking is the renderer's job).
    pub value: String,
    pub enabled: bool,
    /// For checkboxes and radios.
    pub checked: bool,
    /// For text fields: it has the input focus (the keyboard is up).
    pub focused: bool,
    /// For [`Role::QrCode`]: the payload the QR encodes.
    pub qr: Option<String>,
    /// Filled in by [`Screen::layout`].
    pub rect: Rect,
    pub children: Vec<Node>,
    /// Drawn by the OS, not the app (a permission prompt): Android shows
    /// `id` as a resource-id of the OS's package and no content-desc, as
    /// the permission controller's views have none; iOS names the element
    /// by its label, as XCUITest names alerts and their buttons.
    pub system: bool,
    /// The widget class where the role's usual one is not it: the
    /// layouts of a system dialog, the iOS alert.
    pub class: Option<&'static str>,
}

impl Node {
    pub fn new(role: Role, id: impl Into<String>, text: impl Into<String>) -> Node {
        Node {
            id: id.into(),
            role,
            text: text.into(),
            value: String::new(),
            enabled: true,
            checked: false,
            focused: false,
            qr: None,
            rect: Rect::default(),
            children: Vec::new(),
            system: false,
            class: None,
        }
    }

    /// A node drawn by the OS (see [`Node::system`]), with its class.
    pub fn system(role: Role, class: Option<&'static str>, id: impl Into<String>, text: impl Into<String>) -> Node {
        Node { system: true, class, ..Node::new(role, id, text) }
    }

    /// Depth-first, parents before children; the order element indices use.
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.walk());
        }
        out
    }

    /// What `GET /element/:id/text` returns: masked for secure fields, as
    /// real drivers do for password inputs.
    pub fn visible_text(&self) -> String {
        match self.role {
            Role::SecureField => "•".repeat(self.value.chars().count()),
            Role::TextField => self.value.clone(),
            _ => self.text.clone(),
        }
    }

    pub fn is_input(&self) -> bool {
        matches!(self.role, Role::TextField | Role::SecureField)
    }
}

/// Screen size in points, the same for every virtual phone.
pub const SCREEN_WIDTH: u32 = 360;
pub const SCREEN_HEIGHT: u32 = 760;

/// What a phone shows right now.
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    /// The screen's own accessibility id (`copy_info`, `qr_code`, ...).
    pub name: String,
    /// Real Android builds set FLAG_SECURE on PIN and QR screens.
    pub secure: bool,
    /// The app's screen; `root.id == name` unless a system prompt shows.
    /// On Android a prompt is a window of its own, the only one in the
    /// page source, so it is the root.
    pub root: Node,
    /// An iOS system alert over the app's screen: XCUITest shows it beside
    /// the app's elements, which stay in the page source.
    pub alert: Option<Node>,
}

impl Screen {
    /// Places every node: children stacked top to bottom, full width less a
    /// margin; buttons at the height of a tap target; the QR code square.
    /// A container (a system dialog's layouts) stacks its own children the
    /// same way inside it; an alert is a card in the middle of the screen.
    pub fn layout(&mut self) {
        self.root.rect = Rect { x: 0, y: 0, width: SCREEN_WIDTH, height: SCREEN_HEIGHT };
        // Below the status bar.
        stack(&mut self.root.children, 0, 48, SCREEN_WIDTH);
        if let Some(alert) = &mut self.alert {
            const ALERT_WIDTH: u32 = 270;
            let x = (SCREEN_WIDTH - ALERT_WIDTH) / 2;
            let height = stack(&mut alert.children, x, 0, ALERT_WIDTH);
            let y = SCREEN_HEIGHT.saturating_sub(height) / 2;
            alert.rect = Rect { x, y, width: ALERT_WIDTH, height };
            stack(&mut alert.children, x, y, ALERT_WIDTH);
        }
    }

    /// Nodes in document order: index 0 is the root; an alert's come
    /// after the app's, as the page source lists them.
    pub fn nodes(&self) -> Vec<&Node> {
        let mut nodes = self.root.walk();
        if let Some(alert) = &self.alert {
            nodes.extend(alert.walk());
        }
        nodes
    }

    pub fn node(&self, index: usize) -> Option<&Node> {
        self.nodes().into_iter().nth(index)
    }

    pub fn find_by_id(&self, id: &str) -> Option<&Node> {
        self.nodes().into_iter().find(|n| n.id == id)
    }
}

/// Lays `nodes` out top to bottom from (`x`, `y`) in a column `width`
/// wide, less a margin; returns the height used, margin included.
fn stack(nodes: &mut [Node], x: u32, y: u32, width: u32) -> u32 {
    const MARGIN: u32 = 16;
    const GAP: u32 = 10;
    let inner = width.saturating_sub(2 * MARGIN);
    let mut at = y;
    for child in nodes {
        let height = match child.role {
            Role::Title => 28 + 22 * line_count(&child.text, inner, 2),
            Role::Text => 8 + 18 * line_count(&child.text, inner, 1),
            Role::Button | Role::TextField | Role::SecureField => 48,
            Role::Checkbox | Role::Radio => 8 + 18 * line_count(&child.text, inner.saturating_sub(36), 1).max(2),
            Role::QrCode => inner.min(260),
            Role::Image => 120,
            // A container is as tall as what it holds, which it does not
            // indent further: the dialog's nested layouts stay readable.
            Role::Screen => stack(&mut child.children, x, at, width),
        };
        let (cx, w) = if child.role == Role::QrCode { ((x + width - height) / 2, height) } else { (x + MARGIN, inner) };
        child.rect = Rect { x: cx, y: at, width: w, height };
        at += height + GAP;
    }
    at - y
}

/// Lines a text needs at the bitmap font's size (8 px glyphs drawn twice as
/// large for titles, 1.5x for body text would not be crisp, so body text is
/// drawn at 1x with 9 px advance).
pub fn line_count(text: &str, width: u32, scale: u32) -> u32 {
    let per_line = (width / (9 * scale)).max(1) as usize;
    wrap(text, per_line).len().max(1) as u32
}

/// Greedy word wrap at `per_line` characters.
pub fn wrap(text: &str, per_line: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let needed =
                if line.is_empty() { word.chars().count() } else { line.chars().count() + 1 + word.chars().count() };
            if needed > per_line && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}
