//! Collects every rule a request breaks, so one 422 answer lists all offending fields.

use chrono::NaiveDate;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::text;

/// Accumulates field errors while a request is checked.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// A required text: trimmed, not blank, at most `max` characters, no control characters
    /// but line breaks and tabs.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.push(FieldError::blank(field));
        } else {
            self.check_text(field, trimmed, max);
        }
        trimmed.to_owned()
    }

    /// An optional text: trimmed; blank becomes absent; otherwise as [`Validator::text`].
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let trimmed = value.map(str::trim).filter(|v| !v.is_empty())?;
        self.check_text(field, trimmed, max);
        Some(trimmed.to_owned())
    }

    fn check_text(&mut self, field: &str, text: &str, max: usize) {
        if text.chars().count() > max {
            self.push(FieldError::too_long(field, max));
        } else if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            self.push(FieldError::invalid(
                field,
                text!(en: "Must not contain control characters.", vi: "Không được chứa ký tự điều khiển."),
            ));
        }
    }

    /// An integer within `min..=max`.
    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) {
        if !(min..=max).contains(&value) {
            self.push(FieldError::out_of_range(field, min, max));
        }
    }

    /// A list of at most `max` items; returns whether it is short enough to check item by item.
    pub fn max_items(&mut self, field: &str, len: usize, max: usize) -> bool {
        if len > max {
            self.push(FieldError::new(
                field,
                "too_many",
                text!(en: "At most {max} items.", vi: "Tối đa {max} mục."),
            ));
        }
        len <= max
    }

    /// Two ends of a half-open period: when both are given, `end` must be after `start`.
    pub fn period(&mut self, (start_field, start): (&str, Option<NaiveDate>), (end_field, end): (&str, Option<NaiveDate>)) {
        if let (Some(start), Some(end)) = (start, end)
            && end <= start
        {
            self.push(FieldError::date_order(end_field, start_field));
        }
    }

    /// Ends the check: `Ok` when nothing was wrong, otherwise a 422 listing every error.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Option<NaiveDate> {
        s.parse().ok()
    }

    #[test]
    fn collects_every_error() {
        let mut v = Validator::new();
        assert_eq!(v.text("name", "  Gia Lâm ", 10), "Gia Lâm");
        v.text("short_name", "   ", 10);
        v.text("title", "quá dài quá dài", 5);
        assert_eq!(v.opt_text("note", Some("  "), 5), None);
        v.range("count", 0, 1, 10);
        v.period(("valid_from", date("2025-07-01")), ("valid_to", date("2025-07-01")));
        v.period(("joined_on", date("2024-01-01")), ("left_on", None));
        let Err(ApiError::Validation { errors }) = v.finish() else {
            panic!("expected a validation error");
        };
        let codes: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("short_name", "blank"),
                ("title", "too_long"),
                ("count", "out_of_range"),
                ("valid_to", "date_order")
            ]
        );
    }

    #[test]
    fn passes_good_input() {
        let mut v = Validator::new();
        v.text("name", "Công an huyện Gia Lâm", 300);
        v.period(("valid_from", date("2020-01-01")), ("valid_to", date("2025-03-01")));
        assert!(v.finish().is_ok());
    }
}
