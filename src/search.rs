//! Diacritic- and case-insensitive text search that behaves the same on every database.
//!
//! Searchable records keep a folded copy of their text in a `search_text` column, written by the
//! service on every change as space-separated words with a space at each end. A `q=` query is
//! folded the same way and matched with `LIKE`: every word but the last must occur as a whole
//! word, the last as the start of a word (so a query can be typed incrementally). "gia lam" finds
//! "Gia Lâm" but not "giáp ranh … lâm nghiệp"; "d" finds "đ". No database collation is involved,
//! so SQLite and PostgreSQL answer alike.

use sea_orm::sea_query::{LikeExpr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};
use unicode_normalization::UnicodeNormalization;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::text;
use unicode_normalization::char::is_combining_mark;

/// Longest `q=` accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words a `q=` may hold; each must occur in the record.
pub const MAX_QUERY_TERMS: usize = 8;

/// Folds text for matching: removes diacritics (including đ/Đ → d), lower-cases, and collapses
/// runs of whitespace and punctuation into single spaces.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            other => other,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// Builds the folded `search_text` for a record out of its searchable parts.
pub fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let folded: Vec<String> = parts.into_iter().map(fold).filter(|p| !p.is_empty()).collect();
    format!(" {} ", folded.join(" "))
}

/// The key a record sorts by "name": its folded primary text, so "Đông Anh" sorts among the d's.
pub fn sort_key(text: &str) -> String {
    fold(text)
}

/// The words of a query after folding; empty when the query holds nothing searchable.
pub fn terms(q: &str) -> Vec<String> {
    fold(q).split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

/// Validates a `q=` parameter and returns its terms; `None` when there is nothing to search for.
pub fn query_terms(q: Option<&str>) -> ApiResult<Option<Vec<String>>> {
    let Some(q) = q else {
        return Ok(None);
    };
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_field(FieldError::too_long("q", MAX_QUERY_CHARS)));
    }
    let terms = terms(q);
    // Well-formed text that asks for too much: a rule, not a shape (422).
    if terms.len() > MAX_QUERY_TERMS {
        return Err(ApiError::validation(vec![FieldError::new(
            "q",
            "too_many_terms",
            text!(
                en: "Search for at most {MAX_QUERY_TERMS} words at once.",
                vi: "Chỉ tìm tối đa {MAX_QUERY_TERMS} từ mỗi lần."
            ),
        )]));
    }
    Ok((!terms.is_empty()).then_some(terms))
}

/// A condition requiring the terms in `column` (a `search_text` column): all but the last as
/// whole words, the last as the start of a word.
pub fn matches_all<C: ColumnTrait>(column: C, terms: &[String]) -> Condition {
    patterns(terms)
        .into_iter()
        .fold(Condition::all(), |cond, pattern| cond.add(like(column, pattern)))
}

fn patterns(terms: &[String]) -> Vec<String> {
    let last = terms.len().saturating_sub(1);
    terms
        .iter()
        .enumerate()
        .map(|(i, term)| {
            if i == last {
                format!("% {}%", escape_like(term))
            } else {
                format!("% {} %", escape_like(term))
            }
        })
        .collect()
}

fn like<C: ColumnTrait>(column: C, pattern: String) -> SimpleExpr {
    column.like(LikeExpr::new(pattern).escape('\\'))
}

fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_diacritics_and_case() {
        let cases = [
            ("Gia Lâm", "gia lam", "tone and circumflex marks are removed"),
            ("Đông Anh", "dong anh", "capital Đ folds to d"),
            ("đường", "duong", "small đ and horn marks fold"),
            ("Thuận Thành", "thuan thanh", "combined marks fold"),
            ("  Ứng   Hòa ", "ung hoa", "whitespace collapses and trims"),
            ("03/2019/NĐ-CP", "03 2019 nd cp", "punctuation becomes a separator"),
            ("Lệ Thủy – Vĩnh Linh", "le thuy vinh linh", "dashes separate words"),
            ("", "", "empty stays empty"),
        ];
        for (input, expected, why) in cases {
            assert_eq!(fold(input), expected, "{why}: fold({input:?})");
        }
    }

    #[test]
    fn precomposed_and_decomposed_input_fold_alike() {
        let precomposed = "Hưng Yên";
        let decomposed: String = precomposed.nfd().collect();
        assert_ne!(precomposed, decomposed);
        assert_eq!(fold(precomposed), fold(&decomposed));
    }

    #[test]
    fn terms_split_folded_words() {
        assert_eq!(terms("Gia  LÂM"), vec!["gia", "lam"]);
        assert!(terms(" - ").is_empty());
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn search_text_joins_folded_parts() {
        assert_eq!(
            search_text(["Công an huyện Gia Lâm", "", "CAH Gia Lâm"]),
            " cong an huyen gia lam cah gia lam "
        );
    }

    /// What the SQL `LIKE` patterns accept, checked in Rust against folded texts.
    fn accepts(text: &str, q: &str) -> bool {
        let haystack = search_text([text]);
        patterns(&terms(q)).iter().all(|p| {
            let inner = p.trim_start_matches('%').trim_end_matches('%');
            haystack.contains(inner)
        })
    }

    #[test]
    fn matches_whole_words_and_a_last_prefix() {
        let cases = [
            ("Công an huyện Gia Lâm", "gia lam", true, "the brief's example"),
            ("Công an huyện Gia Lâm", "GIA LÂM", true, "case and diacritics ignored"),
            ("Công an huyện Gia Lâm", "gia la", true, "last word as a prefix"),
            ("Công an huyện Gia Lâm", "huyen gia", true, "words in order"),
            ("Công an huyện Gia Lâm", "lam gia", true, "words in any order"),
            ("Cụm giáp ranh … Công ty Lâm nghiệp", "gia lam", false, "no whole word gia"),
            ("Đông Anh", "d", true, "d finds đ"),
            ("Công an huyện Gia Lâm", "an huy", true, "prefix of a later word"),
            ("Công an huyện Gia Lâm", "ia", false, "not inside a word"),
        ];
        for (text, q, expected, why) in cases {
            assert_eq!(accepts(text, q), expected, "{why}: {q:?} in {text:?}");
        }
    }
}
