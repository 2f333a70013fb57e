//! The XML tree the page source, XPath and the locators share, and its text
//! form: the one place the crate serialises and escapes XML.

/// One element of the page source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlNode {
    pub tag: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<XmlNode>,
    /// Index of the `ui::Node` in `Screen::nodes()` order; `None` for the
    /// wrapper elements (`hierarchy`, `AppiumAUT`,
    /// `XCUIElementTypeApplication`), which are not elements a test can hold.
    pub node_index: Option<usize>,
}

impl XmlNode {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

/// The serialised document: `prolog` (the XML declaration), then one
/// element per line indented by two spaces.
pub fn to_xml(prolog: &str, root: &XmlNode) -> String {
    let mut out = String::new();
    out.push_str(prolog);
    out.push('\n');
    write_element(&mut out, root, 0);
    out
}

fn write_element(out: &mut String, node: &XmlNode, depth: usize) {
    out.push_str(&"  ".repeat(depth));
    out.push('<');
    out.push_str(&node.tag);
    for (name, value) in &node.attrs {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_into(out, value);
        out.push('"');
    }
    if node.children.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    for child in &node.children {
        write_element(out, child, depth + 1);
    }
    out.push_str(&"  ".repeat(depth));
    out.push_str("</");
    out.push_str(&node.tag);
    out.push_str(">\n");
}

fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A parser normalises literal line breaks and tabs in attributes
            // to spaces; character references keep multi-line texts intact.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // Other control characters cannot appear in XML 1.0 at all, not
            // even as references; dropping them keeps the document parseable.
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// `node` and everything under it, in document order. Iterative so that no
/// tree is too deep to search.
pub fn descendants(node: &XmlNode) -> Vec<&XmlNode> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        out.push(n);
        stack.extend(n.children.iter().rev());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>d\"e'f\ng\u{1}h");
        assert_eq!(out, "a&amp;b&lt;c&gt;d&quot;e&apos;f&#10;gh");
    }
}
