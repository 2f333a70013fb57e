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
        }
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
    /// The app's screen; `root.id == name`.
    pub root: Node,
}

impl Screen {
    /// Places every node: children stacked top to bottom, full width less a
    /// margin; buttons at the height of a tap target; the QR code square.
    pub fn layout(&mut self) {
        const MARGIN: u32 = 16;
        const GAP: u32 = 10;
        self.root.rect = Rect { x: 0, y: 0, width: SCREEN_WIDTH, height: SCREEN_HEIGHT };
        let mut y = 48; // below the status bar
        for child in &mut self.root.children {
            let width = SCREEN_WIDTH - 2 * MARGIN;
            let height = match child.role {
                Role::Title => 28 + 22 * line_count(&child.text, width, 2),
                Role::Text => 8 + 18 * line_count(&child.text, width, 1),
                Role::Button | Role::TextField | Role::SecureField => 48,
                Role::Checkbox | Role::Radio => 8 + 18 * line_count(&child.text, width - 36, 1).max(2),
                Role::QrCode => width.min(260),
                Role::Image => 120,
                Role::Screen => 0,
            };
            let x = if child.role == Role::QrCode { (SCREEN_WIDTH - height) / 2 } else { MARGIN };
            let w = if child.role == Role::QrCode { height } else { width };
            child.rect = Rect { x, y, width: w, height };
            y += height + GAP;
        }
    }

    /// Nodes in document order: index 0 is the root.
    pub fn nodes(&self) -> Vec<&Node> {
        self.root.walk()
    }

    pub fn node(&self, index: usize) -> Option<&Node> {
        self.nodes().into_iter().nth(index)
    }

    pub fn find_by_id(&self, id: &str) -> Option<&Node> {
        self.nodes().into_iter().find(|n| n.id == id)
    }
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
