//! A lenient XML tree builder on top of `quick-xml`'s event reader.
//!
//! `quick-xml` stops at the first syntax error; NFOs written by hand or cut short by a full
//! disk need more than that. This builder keeps its own element stack, so after an error it
//! restarts a fresh reader just past the bad markup and carries on; it closes mismatched and
//! unclosed elements itself; and it resolves entities itself, so unknown ones survive as text.
//! Limits on depth, element count and errors keep hostile input cheap.

use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};

use crate::model::{Attribute, RawElement, RawNode};
use crate::warning::{Collector, WarningKind, floor_char_boundary};

/// Elements nested deeper than this are dropped; real NFOs nest five levels at most.
pub(crate) const MAX_DEPTH: usize = 64;
/// Elements read at most; a big real NFO (hundreds of actors and thumbs) has a few thousand.
pub(crate) const MAX_ELEMENTS: usize = 200_000;
/// Syntax errors skipped at most before giving up on the rest of the input.
pub(crate) const MAX_ERRORS: usize = 10_000;

/// An element with the offset of its `<`, for warnings about it.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attributes: Vec<Attribute>,
    pub(crate) children: Vec<Node>,
    pub(crate) offset: usize,
}

#[derive(Debug)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

/// The parsed document: the first root element and the text around it.
#[derive(Debug, Default)]
pub(crate) struct Document {
    pub(crate) root: Option<Element>,
    /// Later roots named like the first one, in order, when [`build_repeating`] was asked to
    /// read them; always empty from [`build`].
    pub(crate) later_roots: Vec<Element>,
    /// Text outside any root element, with its offset: where URL lines live.
    pub(crate) outside_text: Vec<(String, usize)>,
}

impl Element {
    /// The concatenated text of this element and its descendants.
    #[cfg(test)]
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        collect_text(&self.children, &mut out);
        out
    }

    /// The concatenated text directly inside this element.
    pub(crate) fn own_text(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            if let Node::Text(text) = node {
                out.push_str(text);
            }
        }
        out
    }

    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|attr| attr.name.eq_ignore_ascii_case(name)).map(|attr| attr.value.as_str())
    }

    pub(crate) fn child_elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(element) => Some(element),
            Node::Text(_) => None,
        })
    }

    pub(crate) fn has_child_elements(&self) -> bool {
        self.child_elements().next().is_some()
    }

    /// Converts to the public raw form, dropping indentation-only text between elements.
    pub(crate) fn to_raw(&self) -> RawElement {
        let has_elements = self.has_child_elements();
        let children = self
            .children
            .iter()
            .filter_map(|node| match node {
                Node::Element(element) => Some(RawNode::Element(element.to_raw())),
                Node::Text(text) if has_elements && text.trim().is_empty() => None,
                Node::Text(text) => Some(RawNode::Text(text.clone())),
            })
            .collect();
        RawElement { name: self.name.clone(), attributes: self.attributes.clone(), children }
    }
}

#[cfg(test)]
fn collect_text(children: &[Node], out: &mut String) {
    for child in children {
        match child {
            Node::Text(text) => out.push_str(text),
            Node::Element(element) => collect_text(&element.children, out),
        }
    }
}

/// Builds the tree of `text`, recording what it had to work around in `warnings`. Roots after
/// the first are skipped with a warning.
pub(crate) fn build(text: &str, warnings: &mut Collector) -> Document {
    build_repeating(text, warnings, None)
}

/// Like [`build`], but when the first root is named `repeating` (ignoring ASCII case), later
/// roots of that name are read too, into [`Document::later_roots`], without a warning: Kodi's
/// multi-episode files repeat `<episodedetails>` once per episode. Other later roots are still
/// skipped with a warning.
pub(crate) fn build_repeating(text: &str, warnings: &mut Collector, repeating: Option<&str>) -> Document {
    let mut builder = Builder {
        repeating,
        warnings,
        document: Document::default(),
        stack: Vec::new(),
        skip: None,
        root_done: false,
        element_count: 0,
        depth_warned: false,
        stopped: false,
    };
    builder.run(text);
    builder.finish(text.len())
}

/// What to do with the content of the element being skipped.
#[derive(Debug, Default)]
struct Skip {
    /// Open elements inside the skipped subtree; skipping ends when it drops back to zero.
    depth: usize,
}

#[derive(Debug)]
struct Builder<'w> {
    /// The root name that may repeat; see [`build_repeating`].
    repeating: Option<&'w str>,
    warnings: &'w mut Collector,
    document: Document,
    stack: Vec<Element>,
    /// Set while skipping an extra root or a too-deep subtree.
    skip: Option<Skip>,
    root_done: bool,
    element_count: usize,
    depth_warned: bool,
    /// Set when a limit stopped reading; the open elements are then closed without a
    /// `Truncated` warning, since the limit warning already says why.
    stopped: bool,
}

impl Builder<'_> {
    fn run(&mut self, text: &str) {
        let mut base = 0;
        let mut errors = 0;
        // Every restart re-reads from a new point, and markup that never closes (`<!--`, or
        // `<3` with the next `>` far away) makes the reader scan far ahead each time. Capping
        // the bytes scanned in total keeps hostile input linear.
        let scan_budget = text.len().saturating_mul(8).saturating_add(1 << 20);
        let mut scanned: usize = 0;
        loop {
            let Some(rest) = text.get(base..) else { return };
            let mut reader = Reader::from_str(rest);
            let config = reader.config_mut();
            config.allow_dangling_amp = true;
            config.allow_unmatched_ends = true;
            config.check_end_names = false;
            config.check_comments = false;
            config.expand_empty_elements = false;
            config.trim_text(false);
            loop {
                let offset = base.saturating_add(to_usize(reader.buffer_position()));
                match reader.read_event() {
                    Ok(Event::Eof) => return,
                    Ok(event) => match self.event(event, offset) {
                        Flow::Continue => {}
                        Flow::Stop => return,
                        Flow::Restart(at) => {
                            scanned = scanned.saturating_add(to_usize(reader.buffer_position()));
                            if scanned > scan_budget {
                                self.rescan_limit(at);
                                return;
                            }
                            base = next_char_boundary(text, at.max(base));
                            break;
                        }
                    },
                    Err(err) => {
                        errors += 1;
                        let error_at = base.saturating_add(to_usize(reader.error_position()));
                        let consumed_to = base.saturating_add(to_usize(reader.buffer_position()));
                        scanned = scanned.saturating_add(consumed_to - base);
                        if scanned > scan_budget {
                            self.rescan_limit(error_at);
                            return;
                        }
                        if errors > MAX_ERRORS {
                            self.warnings.push(WarningKind::ErrorLimit { limit: MAX_ERRORS }, Some(error_at));
                            self.stopped = true;
                            return;
                        }
                        self.warnings.push(WarningKind::Malformed { message: err.to_string() }, Some(error_at));
                        let after_error = next_char_boundary(text, error_at.max(base));
                        if consumed_to > error_at && consumed_to < text.len() && text.is_char_boundary(consumed_to) {
                            // The reader got past the bad markup (an ill-formed prolog, say):
                            // go on after it.
                            base = consumed_to;
                        } else if text.get(after_error..).is_some_and(|tail| tail.contains('<')) {
                            // Markup that never closed but more markup follows (a stray `<!`):
                            // restart just past its `<`, reading what follows as text.
                            base = after_error;
                        } else {
                            // Markup cut off by the end of the input: the usual truncated file.
                            // Reading its remains as text would only add junk to the last field.
                            return;
                        }
                        break;
                    }
                }
            }
        }
    }

    fn rescan_limit(&mut self, offset: usize) {
        self.warnings.push(WarningKind::RescanLimit, Some(offset));
        self.stopped = true;
    }

    fn event(&mut self, event: Event<'_>, offset: usize) -> Flow {
        match event {
            Event::Start(start) => return self.start(&start, offset, false),
            Event::Empty(start) => return self.start(&start, offset, true),
            Event::End(end) => {
                let name = String::from_utf8_lossy(end.name().as_ref()).into_owned();
                self.end(&name, offset);
            }
            Event::Text(text) => {
                let raw = String::from_utf8_lossy(text.as_ref()).into_owned();
                self.text(raw, offset);
            }
            Event::CData(cdata) => {
                let raw = String::from_utf8_lossy(cdata.as_ref()).into_owned();
                self.text(raw, offset);
            }
            Event::GeneralRef(reference) => {
                let resolved = self.resolve_reference(&reference, offset);
                self.text(resolved, offset);
            }
            // Comments, processing instructions, the prolog and DOCTYPE carry nothing an NFO
            // reader needs. Ignoring DOCTYPE also means entity declarations are never expanded.
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) | Event::Eof => {}
        }
        Flow::Continue
    }

    fn start(&mut self, start: &BytesStart<'_>, offset: usize, empty: bool) -> Flow {
        let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
        if !is_xml_name(&name) {
            // Keep the `<` as text and read on right after it: `<3` in a plot is a heart, and
            // the reader's idea of where this "tag" ends (the next `>`) would swallow real
            // markup such as `</plot>`. Inside skipped content this matters just as much.
            if self.skip.is_none() {
                self.warnings.push(WarningKind::InvalidElementName { name }, Some(offset));
                self.text("<".to_owned(), offset);
            }
            return Flow::Restart(offset);
        }
        if let Some(skip) = &mut self.skip {
            if !empty {
                skip.depth += 1;
            }
            return Flow::Continue;
        }
        if self.stack.is_empty() && (self.root_done || self.document.root.is_some()) && !self.may_repeat(&name) {
            self.warnings.push(WarningKind::ExtraRoot { name }, Some(offset));
            if !empty {
                self.skip = Some(Skip { depth: 1 });
            }
            return Flow::Continue;
        }
        if self.stack.len() >= MAX_DEPTH {
            if !self.depth_warned {
                self.depth_warned = true;
                self.warnings.push(WarningKind::DepthLimit { limit: MAX_DEPTH }, Some(offset));
            }
            if !empty {
                self.skip = Some(Skip { depth: 1 });
            }
            return Flow::Continue;
        }
        self.element_count += 1;
        if self.element_count > MAX_ELEMENTS {
            self.warnings.push(WarningKind::ElementLimit { limit: MAX_ELEMENTS }, Some(offset));
            self.stopped = true;
            return Flow::Stop;
        }
        let attributes = self.attributes(start, offset);
        let element = Element { name, attributes, children: Vec::new(), offset };
        if empty {
            self.attach(element);
        } else {
            self.stack.push(element);
        }
        Flow::Continue
    }

    /// Whether a later root called `name` is read rather than skipped: it and the first root
    /// both carry the repeating name.
    fn may_repeat(&self, name: &str) -> bool {
        let Some(repeating) = self.repeating else { return false };
        let first_matches = self.document.root.as_ref().is_some_and(|root| root.name.eq_ignore_ascii_case(repeating));
        first_matches && name.eq_ignore_ascii_case(repeating)
    }

    fn attributes(&mut self, start: &BytesStart<'_>, offset: usize) -> Vec<Attribute> {
        let mut out = Vec::new();
        // HTML-style parsing accepts unquoted values and bare names, both seen in hand-edits.
        let mut attributes = start.html_attributes();
        attributes.with_checks(false);
        for attribute in attributes {
            match attribute {
                Ok(attribute) => {
                    let name = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
                    let raw = String::from_utf8_lossy(&attribute.value);
                    let value = self.unescape(&raw, offset);
                    out.push(Attribute { name, value });
                }
                Err(err) => {
                    self.warnings.push(WarningKind::Malformed { message: err.to_string() }, Some(offset));
                    break;
                }
            }
        }
        out
    }

    fn end(&mut self, name: &str, offset: usize) {
        if let Some(skip) = &mut self.skip {
            skip.depth = skip.depth.saturating_sub(1);
            if skip.depth == 0 {
                self.skip = None;
            }
            return;
        }
        // Exact match first, then any case: `<Title>…</title>` is a typo, not new structure.
        let position = self
            .stack
            .iter()
            .rposition(|open| open.name == name)
            .or_else(|| self.stack.iter().rposition(|open| open.name.eq_ignore_ascii_case(name)));
        let Some(position) = position else {
            self.warnings.push(WarningKind::UnmatchedEnd { name: name.to_owned() }, Some(offset));
            return;
        };
        while self.stack.len() > position + 1 {
            if let Some(open) = self.stack.pop() {
                let warning = WarningKind::ImplicitlyClosed { name: open.name.clone(), closed_by: name.to_owned() };
                self.warnings.push(warning, Some(open.offset));
                self.attach(open);
            }
        }
        if let Some(open) = self.stack.pop() {
            self.attach(open);
        }
    }

    fn text(&mut self, text: String, offset: usize) {
        if self.skip.is_some() || text.is_empty() {
            return;
        }
        // XML end-of-line handling: CRLF and lone CR become LF.
        let text = if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n") } else { text };
        match self.stack.last_mut() {
            Some(open) => match open.children.last_mut() {
                // Entity references arrive as separate events; join them with their text.
                Some(Node::Text(previous)) => previous.push_str(&text),
                _ => open.children.push(Node::Text(text)),
            },
            None => match self.document.outside_text.last_mut() {
                Some((previous, previous_offset)) => {
                    if previous.is_empty() {
                        *previous_offset = offset;
                    }
                    previous.push_str(&text);
                }
                None => self.document.outside_text.push((text, offset)),
            },
        }
    }

    fn attach(&mut self, element: Element) {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(Node::Element(element)),
            None => {
                self.root_done = true;
                // Start a new outside-text run after the root, so URL lines get their offset.
                self.document.outside_text.push((String::new(), element.offset));
                if self.document.root.is_none() {
                    self.document.root = Some(element);
                } else {
                    self.document.later_roots.push(element);
                }
            }
        }
    }

    fn resolve_reference(&mut self, reference: &BytesRef<'_>, offset: usize) -> String {
        let name = String::from_utf8_lossy(reference.as_ref()).into_owned();
        self.resolve_entity(&name, offset)
    }

    fn resolve_entity(&mut self, name: &str, offset: usize) -> String {
        // "Tom & Jerry; fun" reaches here as the reference " Jerry": a bare ampersand that
        // happens to meet a later `;`. That is ordinary text, not an entity worth a warning.
        if name.is_empty() || name.contains(char::is_whitespace) {
            return format!("&{name};");
        }
        if let Some(number) = name.strip_prefix('#') {
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => number.parse::<u32>().ok(),
            };
            return match code.and_then(char::from_u32).filter(|ch| !crate::is_forbidden_control(*ch)) {
                Some(ch) => ch.to_string(),
                None => {
                    self.warnings.push(WarningKind::InvalidCharRef { reference: name.to_owned() }, Some(offset));
                    '\u{fffd}'.to_string()
                }
            };
        }
        match name {
            "amp" => "&".to_owned(),
            "lt" => "<".to_owned(),
            "gt" => ">".to_owned(),
            "quot" => "\"".to_owned(),
            "apos" => "'".to_owned(),
            _ => {
                self.warnings.push(WarningKind::UnknownEntity { name: name.to_owned() }, Some(offset));
                format!("&{name};")
            }
        }
    }

    /// Resolves entities in an attribute value; a `&` that starts no reference stays as is.
    fn unescape(&mut self, raw: &str, offset: usize) -> String {
        if !raw.contains('&') {
            return raw.to_owned();
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(amp) = rest.find('&') {
            out.push_str(rest.get(..amp).unwrap_or_default());
            let after = rest.get(amp + 1..).unwrap_or_default();
            // A reference is a name or number up to `;`, short and without spaces.
            let reference_end = after.find(';').filter(|end| {
                *end > 0 && *end <= 32 && !after.get(..*end).unwrap_or_default().contains(char::is_whitespace)
            });
            match reference_end {
                Some(end) => {
                    let name = after.get(..end).unwrap_or_default();
                    out.push_str(&self.resolve_entity(name, offset));
                    rest = after.get(end + 1..).unwrap_or_default();
                }
                None => {
                    out.push('&');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn finish(mut self, end: usize) -> Document {
        if !self.stack.is_empty() && !self.stopped {
            let open: Vec<&str> = self.stack.iter().map(|open| open.name.as_str()).collect();
            self.warnings.push(WarningKind::Truncated { open: open.join(">") }, Some(end));
        }
        while let Some(open) = self.stack.pop() {
            self.attach(open);
        }
        self.document.outside_text.retain(|(text, _)| !text.is_empty());
        self.document
    }
}

/// What the reader loop does after an event.
enum Flow {
    Continue,
    Stop,
    /// Start a fresh reader just past the character at this offset.
    Restart(usize),
}

fn to_usize(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// The character boundary just after `index` (at least one byte further).
fn next_char_boundary(text: &str, index: usize) -> usize {
    let mut next = floor_char_boundary(text, index) + 1;
    while next < text.len() && !text.is_char_boundary(next) {
        next += 1;
    }
    next.min(text.len().max(index + 1))
}

/// Whether `name` can be an XML element name (ASCII-strict start, lenient after).
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_alphabetic() || first == '_' || first == ':' => {}
        _ => return false,
    }
    chars.all(|ch| ch.is_alphanumeric() || matches!(ch, '_' | ':' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_str(text: &str) -> (Document, Vec<WarningKind>) {
        let mut warnings = Collector::default();
        let document = build(text, &mut warnings);
        let kinds = warnings.finish(text, 0).into_iter().map(|warning| warning.kind).collect();
        (document, kinds)
    }

    #[test]
    fn resolves_entities_and_keeps_unknown_ones() {
        let (document, warnings) = build_str("<a>x &amp; &#233;&#xE9; &nbsp; & y</a>");
        let root = document.root.expect("root");
        assert_eq!(root.text(), "x & éé &nbsp; & y");
        assert_eq!(warnings, vec![WarningKind::UnknownEntity { name: "nbsp".into() }]);
    }

    #[test]
    fn closes_mismatched_elements() {
        let (document, warnings) = build_str("<movie><title>T</movie>");
        let root = document.root.expect("root");
        assert_eq!(root.child_elements().next().map(Element::text).as_deref(), Some("T"));
        assert_eq!(warnings, vec![WarningKind::ImplicitlyClosed { name: "title".into(), closed_by: "movie".into() }]);
    }

    #[test]
    fn recovers_after_syntax_error() {
        let (document, warnings) = build_str("<movie><title>A</title><!bad <plot>P</plot></movie>");
        let root = document.root.expect("root");
        let names: Vec<&str> = root.child_elements().map(|element| element.name.as_str()).collect();
        assert_eq!(names, ["title", "plot"]);
        assert!(matches!(warnings.first(), Some(WarningKind::Malformed { .. })), "{warnings:?}");
    }

    #[test]
    fn heart_in_text_is_text() {
        let (document, _) = build_str("<movie><plot>I <3 it</plot></movie>");
        let root = document.root.expect("root");
        assert_eq!(root.text(), "I <3 it");
    }

    #[test]
    fn attributes_unescape_leniently() {
        let (document, _) = build_str(r#"<thumb preview="a?b=1&amp;c=2&d=3">x</thumb>"#);
        let root = document.root.expect("root");
        assert_eq!(root.attribute("preview"), Some("a?b=1&c=2&d=3"));
    }
}
