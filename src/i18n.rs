//! Response languages: English by default, Vietnamese on `Accept-Language: vi`.

use std::fmt;

/// A language the API answers human-readable texts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Vi,
}

impl Lang {
    /// Picks the preferred supported language from an `Accept-Language` header value, honouring
    /// quality weights; anything unparseable or unsupported falls back to English.
    pub fn negotiate(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(Lang, f32)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "vi" => Lang::Vi,
                "en" => Lang::En,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(_, q)| quality > q) {
                best = Some((lang, quality));
            }
        }
        best.map_or(Lang::En, |(lang, _)| lang)
    }
}

/// A human-readable text in every supported language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub vi: String,
}

impl Text {
    pub fn new(en: impl Into<String>, vi: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            vi: vi.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Vi => &self.vi,
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

/// The text with its first letter in upper case.
pub fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The name of a kind of record, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Noun {
    pub en: &'static str,
    pub vi: &'static str,
}

/// Builds a [`Text`] from an English and a Vietnamese format string sharing the same arguments.
#[macro_export]
macro_rules! text {
    (en: $en:expr, vi: $vi:expr $(,)?) => {
        $crate::i18n::Text::new(format!($en), format!($vi))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_language() {
        let cases = [
            (None, Lang::En, "no header"),
            (Some("vi"), Lang::Vi, "plain vi"),
            (Some("vi-VN,vi;q=0.9,en;q=0.8"), Lang::Vi, "browser default in Vietnam"),
            (Some("en-US,en;q=0.9,vi;q=0.8"), Lang::En, "english preferred"),
            (Some("fr, vi;q=0.5"), Lang::Vi, "unsupported first choice skipped"),
            (Some("vi;q=0, en"), Lang::En, "q=0 means not acceptable"),
            (Some("*"), Lang::En, "wildcard falls back to english"),
            (Some(";;;,,"), Lang::En, "garbage falls back to english"),
            (Some("VI"), Lang::Vi, "tags are case-insensitive"),
        ];
        for (header, expected, why) in cases {
            assert_eq!(Lang::negotiate(header), expected, "{why}");
        }
    }
}
