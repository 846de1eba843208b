//! JSON Merge Patch (RFC 7396) fields: absent leaves a value alone, `null` clears it, a value
//! replaces it. Arrays are replaced whole, as the RFC prescribes.

use serde::{Deserialize, Deserializer};

use crate::error::FieldError;

/// One member of a merge-patch document. Use with `#[serde(default)]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| value.map_or(Patch::Null, Patch::Value))
    }
}

impl<T> Patch<T> {
    /// Converts the value, keeping absence and `null`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(f(v)),
        }
    }

    /// Applies the member to a field that may be null.
    pub fn apply_to(self, target: &mut Option<T>) {
        match self {
            Patch::Absent => {}
            Patch::Null => *target = None,
            Patch::Value(v) => *target = Some(v),
        }
    }

    /// Applies the member to a field that must have a value; `null` is reported to `errors`.
    pub fn apply_required(self, field: &str, target: &mut T, errors: &mut Vec<FieldError>) {
        match self {
            Patch::Absent => {}
            Patch::Null => errors.push(FieldError::not_null(field)),
            Patch::Value(v) => *target = v,
        }
    }
}

impl<T> Patch<Vec<T>> {
    /// Applies the member to a list: a value replaces it whole, `null` empties it.
    pub fn apply_to_list(self, target: &mut Vec<T>) {
        match self {
            Patch::Absent => {}
            Patch::Null => target.clear(),
            Patch::Value(list) => *target = list,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        #[serde(default)]
        a: Patch<i32>,
        #[serde(default)]
        b: Patch<i32>,
        #[serde(default)]
        c: Patch<i32>,
    }

    #[test]
    fn distinguishes_absent_null_and_value() {
        let doc: Doc = serde_json::from_str(r#"{"b": null, "c": 3}"#).expect("valid patch");
        assert_eq!((doc.a, doc.b, doc.c), (Patch::Absent, Patch::Null, Patch::Value(3)));
    }

    #[test]
    fn applies_members() {
        let mut optional = Some(1);
        Patch::Null.apply_to(&mut optional);
        assert_eq!(optional, None);
        Patch::Value(2).apply_to(&mut optional);
        assert_eq!(optional, Some(2));
        Patch::Absent.apply_to(&mut optional);
        assert_eq!(optional, Some(2));

        let mut errors = Vec::new();
        let mut required = 5;
        Patch::Null.apply_required("count", &mut required, &mut errors);
        assert_eq!(required, 5);
        assert_eq!(errors[0].code, "not_nullable");
    }
}
