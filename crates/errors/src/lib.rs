//! One way to print an error with its causes, for every Metarr crate.
//!
//! Metarr's error types follow one rule: a message describes its own level and never repeats
//! its cause, which is reachable through `source()` instead. [`Chain`] then prints the whole
//! chain on one line, `outer: middle: inner`, so each cause appears exactly once. Errors from
//! other libraries do not all follow that rule (hyper and reqwest repeat their wording at
//! several levels), so a cause whose text the line already holds is skipped.

use std::error::Error;
use std::fmt;

/// Displays an error and its causes on one line, each once.
///
/// ```
/// let err = std::io::Error::other("disk full");
/// assert_eq!(metarr_errors::Chain(&err).to_string(), "disk full");
/// ```
#[derive(Clone, Copy)]
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = self.0.to_string();
        for cause in causes(self.0).skip(1) {
            let text = cause.to_string();
            if !text.is_empty() && !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
        }
        f.write_str(&line)
    }
}

impl fmt::Debug for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// An error and its causes as one line (see [`Chain`]).
pub fn chain(err: &(dyn Error + 'static)) -> String {
    Chain(err).to_string()
}

/// The error itself, then each cause in turn, for finding a cause of a given type.
/// `io::Error` hides the error it wraps from `source()`; it is looked into as well.
pub fn causes<'a>(err: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    let mut next = Some(err);
    std::iter::from_fn(move || {
        let current = next?;
        next = match current.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) if current.source().is_none() => Some(inner as &(dyn Error + 'static)),
            _ => current.source(),
        };
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer {
        text: &'static str,
        source: Option<Box<dyn Error + Send + Sync + 'static>>,
    }

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.text)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.source.as_deref().map(|e| e as &(dyn Error + 'static))
        }
    }

    fn layers(texts: &[&'static str]) -> Layer {
        let mut err: Option<Box<dyn Error + Send + Sync>> = None;
        for text in texts.iter().rev() {
            err = Some(Box::new(Layer { text, source: err }));
        }
        Layer { text: "top", source: err }
    }

    #[test]
    fn every_cause_appears_once_in_order() {
        assert_eq!(chain(&layers(&["writing", "database is locked"])), "top: writing: database is locked");
    }

    #[test]
    fn a_cause_already_in_the_line_is_skipped() {
        let err = layers(&["connection closed: broken pipe", "broken pipe"]);
        assert_eq!(chain(&err), "top: connection closed: broken pipe");
    }

    #[test]
    fn causes_look_inside_io_errors() {
        let inner = Layer { text: "tls handshake", source: None };
        let io = std::io::Error::other(inner);
        let found: Vec<String> = causes(&io).map(ToString::to_string).collect();
        assert_eq!(found, ["tls handshake", "tls handshake"]);
        assert!(causes(&io).any(|cause| cause.is::<Layer>()));
    }
}
