//! The page source, shaped the way real Appium drivers shape it.
//!
//! Tests written against the virtual farm must run unchanged against real
//! phones, so the XML mirrors UiAutomator2 (Android) and XCUITest (iOS):
//! the same wrapper elements, class names, attribute names and attribute
//! order. Locators (`locate::find`) run over this same tree, so whatever a
//! tester sees in the page source is exactly what their selectors match.

use crate::dom::{self, XmlNode};
use crate::ui::{Node, Platform, Role, Screen, SCREEN_HEIGHT, SCREEN_WIDTH};

/// What the page source needs to know besides the screen itself.
#[derive(Debug, Clone, Copy)]
pub struct SourceContext<'a> {
    pub platform: Platform,
    /// The foreground package, e.g. `dk.mitid.app.android`, or
    /// `com.android.permissioncontroller` while a system dialog shows.
    pub package: &'a str,
    /// The app's display name, e.g. `MitID`.
    pub app_name: &'a str,
}

const ANDROID_PROLOG: &str = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>";
const IOS_PROLOG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
/// The root tag tells the two shapes apart, so `to_xml` and the locators
/// (`locate::find`) need nothing but the tree.
pub const ANDROID_ROOT: &str = "hierarchy";

/// The widget class a role shows up as: the element's tag, and what the
/// `class name` strategy and `GET /element/:id/name` see.
pub fn class_name(role: Role, platform: Platform) -> &'static str {
    match platform {
        Platform::Android => match role {
            Role::Screen => "android.widget.FrameLayout",
            Role::Title | Role::Text => "android.widget.TextView",
            Role::Button => "android.widget.Button",
            Role::TextField | Role::SecureField => "android.widget.EditText",
            Role::Checkbox => "android.widget.CheckBox",
            Role::Radio => "android.widget.RadioButton",
            Role::QrCode | Role::Image => "android.widget.ImageView",
        },
        Platform::Ios => match role {
            Role::Screen => "XCUIElementTypeOther",
            Role::Title | Role::Text => "XCUIElementTypeStaticText",
            Role::Button => "XCUIElementTypeButton",
            Role::TextField => "XCUIElementTypeTextField",
            Role::SecureField => "XCUIElementTypeSecureTextField",
            Role::Checkbox | Role::Radio => "XCUIElementTypeSwitch",
            Role::QrCode | Role::Image => "XCUIElementTypeImage",
        },
    }
}

/// The document root of the page source for `screen`.
pub fn tree(screen: &Screen, cx: &SourceContext) -> XmlNode {
    let mut next_index = 0;
    let app = element(&screen.root, 0, cx, &mut next_index);
    // Only iOS has alerts over the app (Android's prompts are a window of
    // their own, the root); the indices go on after the app's.
    let alert =
        screen.alert.as_ref().filter(|_| cx.platform == Platform::Ios).map(|a| element(a, 1, cx, &mut next_index));
    let (width, height) = (SCREEN_WIDTH.to_string(), SCREEN_HEIGHT.to_string());
    match cx.platform {
        Platform::Android => XmlNode {
            tag: ANDROID_ROOT.into(),
            attrs: attrs(&[
                ("index", "0"),
                ("class", ANDROID_ROOT),
                ("rotation", "0"),
                ("width", &width),
                ("height", &height),
            ]),
            children: vec![app],
            node_index: None,
        },
        Platform::Ios => {
            let application = XmlNode {
                tag: "XCUIElementTypeApplication".into(),
                attrs: attrs(&[
                    ("type", "XCUIElementTypeApplication"),
                    ("name", cx.app_name),
                    ("label", cx.app_name),
                    ("enabled", "true"),
                    ("visible", "true"),
                    ("accessible", "false"),
                    ("x", "0"),
                    ("y", "0"),
                    ("width", &width),
                    ("height", &height),
                    ("index", "0"),
                ]),
                children: std::iter::once(app).chain(alert).collect(),
                node_index: None,
            };
            XmlNode { tag: "AppiumAUT".into(), attrs: Vec::new(), children: vec![application], node_index: None }
        }
    }
}

/// `index` is the node's position among its siblings; `next_index` counts
/// nodes in pre-order, which is the order of `Screen::nodes()`.
fn element(node: &Node, index: usize, cx: &SourceContext, next_index: &mut usize) -> XmlNode {
    let node_index = *next_index;
    *next_index += 1;
    let tag = node.class.unwrap_or_else(|| class_name(node.role, cx.platform));
    let attrs = match cx.platform {
        Platform::Android => android_attrs(node, index, tag, cx.package),
        Platform::Ios => ios_attrs(node, index, tag),
    };
    let mut children = Vec::with_capacity(node.children.len());
    for (i, child) in node.children.iter().enumerate() {
        children.push(element(child, i, cx, next_index));
    }
    XmlNode { tag: tag.into(), attrs, children, node_index: Some(node_index) }
}

fn android_attrs(node: &Node, index: usize, class: &str, package: &str) -> Vec<(String, String)> {
    let checkable = matches!(node.role, Role::Checkbox | Role::Radio);
    let clickable = checkable || node.is_input() || node.role == Role::Button;
    // Real drivers leave resource-id empty for views without one rather than
    // emit a dangling `package:id/`; a framework view (`android:id/content`)
    // carries its own package.
    let resource_id = match node.id.as_str() {
        "" => String::new(),
        id if id.contains(":id/") => id.to_owned(),
        id => format!("{package}:id/{id}"),
    };
    // The app sets a content description on its views; the permission
    // controller's have none.
    let content_desc = if node.system { "" } else { node.id.as_str() };
    let r = node.rect;
    let bounds = format!("[{},{}][{},{}]", r.x, r.y, r.x.saturating_add(r.width), r.y.saturating_add(r.height));
    attrs(&[
        ("index", &index.to_string()),
        ("package", package),
        ("class", class),
        ("text", &node.visible_text()),
        ("resource-id", &resource_id),
        ("checkable", flag(checkable)),
        ("checked", flag(checkable && node.checked)),
        ("clickable", flag(clickable)),
        ("enabled", flag(node.enabled)),
        ("focusable", flag(clickable)),
        ("focused", flag(node.focused)),
        ("long-clickable", "false"),
        ("password", flag(node.role == Role::SecureField)),
        ("scrollable", "false"),
        ("selected", "false"),
        ("bounds", &bounds),
        ("displayed", "true"),
        ("content-desc", content_desc),
    ])
}

fn ios_attrs(node: &Node, index: usize, tag: &str) -> Vec<(String, String)> {
    // XCUITest names an alert and its parts by their labels.
    let name = if node.system { &node.text } else { &node.id };
    let mut out = attrs(&[("type", tag), ("name", name), ("label", &node.text)]);
    // XCUITest only reports a value for controls that have one.
    let value = match node.role {
        Role::TextField | Role::SecureField => Some(node.visible_text()),
        Role::Checkbox | Role::Radio => Some(if node.checked { "1" } else { "0" }.to_string()),
        _ => None,
    };
    if let Some(value) = value {
        out.push(("value".into(), value));
    }
    let r = node.rect;
    out.extend(attrs(&[
        ("enabled", flag(node.enabled)),
        ("visible", "true"),
        ("accessible", flag(node.role != Role::Screen)),
        ("x", &r.x.to_string()),
        ("y", &r.y.to_string()),
        ("width", &r.width.to_string()),
        ("height", &r.height.to_string()),
        ("index", &index.to_string()),
    ]));
    out
}

fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn flag(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// The serialised page source: the platform's XML declaration, then one
/// element per line indented by two spaces.
pub fn to_xml(root: &XmlNode) -> String {
    dom::to_xml(if root.tag == ANDROID_ROOT { ANDROID_PROLOG } else { IOS_PROLOG }, root)
}

/// One small screen's page source on both platforms, for the tests here and
/// in `locate`.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn screen() -> Screen {
        let mut root = Node::new(Role::Screen, "copy_info", "");
        root.children.push(Node::new(Role::Title, "copy_info_title", "A <b> & \"c\" 'd'"));
        let mut pin = Node::new(Role::SecureField, "pin", "PIN");
        pin.value = "1234".into();
        root.children.push(pin);
        let mut accept = Node::new(Role::Checkbox, "accept", "I agree");
        accept.checked = true;
        root.children.push(accept);
        let mut next = Node::new(Role::Button, "copy_info_next", "Next");
        next.enabled = false;
        root.children.push(next);
        let mut screen = Screen { name: "copy_info".into(), secure: false, root, alert: None };
        screen.layout();
        screen
    }

    pub fn android() -> XmlNode {
        tree(
            &screen(),
            &SourceContext { platform: Platform::Android, package: "dk.mitid.app.android", app_name: "MitID" },
        )
    }

    pub fn ios() -> XmlNode {
        tree(&screen(), &SourceContext { platform: Platform::Ios, package: "dk.mitid.app", app_name: "MitID" })
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{android, ios, screen};
    use super::*;
    use crate::dom::descendants;

    #[test]
    fn android_shape() {
        let expected = r#"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<hierarchy index="0" class="hierarchy" rotation="0" width="360" height="760">
  <android.widget.FrameLayout index="0" package="dk.mitid.app.android" class="android.widget.FrameLayout" text="" resource-id="dk.mitid.app.android:id/copy_info" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" long-clickable="false" password="false" scrollable="false" selected="false" bounds="[0,0][360,760]" displayed="true" content-desc="copy_info">
    <android.widget.TextView index="0" package="dk.mitid.app.android" class="android.widget.TextView" text="A &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;" resource-id="dk.mitid.app.android:id/copy_info_title" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" long-clickable="false" password="false" scrollable="false" selected="false" bounds="[16,48][344,98]" displayed="true" content-desc="copy_info_title"/>
    <android.widget.EditText index="1" package="dk.mitid.app.android" class="android.widget.EditText" text="••••" resource-id="dk.mitid.app.android:id/pin" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" long-clickable="false" password="true" scrollable="false" selected="false" bounds="[16,108][344,156]" displayed="true" content-desc="pin"/>
    <android.widget.CheckBox index="2" package="dk.mitid.app.android" class="android.widget.CheckBox" text="I agree" resource-id="dk.mitid.app.android:id/accept" checkable="true" checked="true" clickable="true" enabled="true" focusable="true" focused="false" long-clickable="false" password="false" scrollable="false" selected="false" bounds="[16,166][344,210]" displayed="true" content-desc="accept"/>
    <android.widget.Button index="3" package="dk.mitid.app.android" class="android.widget.Button" text="Next" resource-id="dk.mitid.app.android:id/copy_info_next" checkable="false" checked="false" clickable="true" enabled="false" focusable="true" focused="false" long-clickable="false" password="false" scrollable="false" selected="false" bounds="[16,220][344,268]" displayed="true" content-desc="copy_info_next"/>
  </android.widget.FrameLayout>
</hierarchy>
"#;
        assert_eq!(to_xml(&android()), expected);
    }

    #[test]
    fn ios_shape() {
        let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<AppiumAUT>
  <XCUIElementTypeApplication type="XCUIElementTypeApplication" name="MitID" label="MitID" enabled="true" visible="true" accessible="false" x="0" y="0" width="360" height="760" index="0">
    <XCUIElementTypeOther type="XCUIElementTypeOther" name="copy_info" label="" enabled="true" visible="true" accessible="false" x="0" y="0" width="360" height="760" index="0">
      <XCUIElementTypeStaticText type="XCUIElementTypeStaticText" name="copy_info_title" label="A &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;" enabled="true" visible="true" accessible="true" x="16" y="48" width="328" height="50" index="0"/>
      <XCUIElementTypeSecureTextField type="XCUIElementTypeSecureTextField" name="pin" label="PIN" value="••••" enabled="true" visible="true" accessible="true" x="16" y="108" width="328" height="48" index="1"/>
      <XCUIElementTypeSwitch type="XCUIElementTypeSwitch" name="accept" label="I agree" value="1" enabled="true" visible="true" accessible="true" x="16" y="166" width="328" height="44" index="2"/>
      <XCUIElementTypeButton type="XCUIElementTypeButton" name="copy_info_next" label="Next" enabled="false" visible="true" accessible="true" x="16" y="220" width="328" height="48" index="3"/>
    </XCUIElementTypeOther>
  </XCUIElementTypeApplication>
</AppiumAUT>
"#;
        assert_eq!(to_xml(&ios()), expected);
    }

    #[test]
    fn node_indices_follow_screen_order() {
        let screen = screen();
        let root = android();
        assert_eq!(root.node_index, None);
        let indexed: Vec<(usize, &str)> =
            descendants(&root).into_iter().filter_map(|n| Some((n.node_index?, n.attr("content-desc")?))).collect();
        let expected: Vec<(usize, &str)> = screen.nodes().iter().enumerate().map(|(i, n)| (i, n.id.as_str())).collect();
        assert_eq!(indexed, expected);
        let ios = ios();
        assert_eq!(ios.node_index, None);
        assert_eq!(ios.children[0].node_index, None);
        assert_eq!(ios.children[0].children[0].node_index, Some(0));
    }
}
