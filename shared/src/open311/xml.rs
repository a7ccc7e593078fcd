//! A small XML writer for Open311's documents: elements holding text or other elements, every
//! text escaped. Open311's XML is the JSON's tree with a root element and one element per
//! list item (`<services><service>...`), so a document is written from the same values the
//! JSON carries ([`Node`]).

/// One element of a document: its name and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `<name>text</name>`; an empty text is `<name></name>` (Open311 writes absent optional
    /// fields as empty elements).
    Text(&'static str, String),
    /// `<name>children</name>`.
    Element(&'static str, Vec<Node>),
}

impl Node {
    pub fn text(name: &'static str, value: impl Into<String>) -> Node {
        Node::Text(name, value.into())
    }

    /// The document: the XML declaration and this element.
    pub fn document(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Node::Text(name, text) => {
                out.push('<');
                out.push_str(name);
                out.push('>');
                escape_into(text, out);
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
            Node::Element(name, children) => {
                out.push('<');
                out.push_str(name);
                out.push('>');
                for child in children {
                    child.write(out);
                }
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
        }
    }
}

/// Escapes the five XML specials; drops the characters XML 1.0 cannot carry at all (control
/// characters other than tab, line feed and carriage return), which no parser would accept.
fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Node;

    #[test]
    fn text_is_escaped_and_lists_are_one_element_per_item() {
        let doc = Node::Element(
            "errors",
            vec![Node::Element(
                "error",
                vec![
                    Node::text("code", "400"),
                    Node::text("description", "a < b & \"c\" 'd' >\u{1}e"),
                ],
            )],
        )
        .document();
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>400</code>\
             <description>a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt;e</description>\
             </error></errors>"
        );
    }
}
