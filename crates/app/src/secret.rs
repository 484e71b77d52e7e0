//! Write-only secrets in API input: absent or `"set"` keeps the stored value, `null` or `""`
//! clears it, anything else replaces it. Shared by notification services and players.

use serde::{Deserialize, Deserializer};

/// A secret in an input.
#[derive(Clone, Default, PartialEq)]
pub enum SecretInput {
    #[default]
    Keep,
    Clear,
    Set(String),
}

impl<'de> Deserialize<'de> for SecretInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<SecretInput, D::Error> {
        Ok(match Option::<String>::deserialize(deserializer)? {
            None => SecretInput::Clear,
            Some(value) if value == "set" => SecretInput::Keep,
            Some(value) if value.is_empty() => SecretInput::Clear,
            Some(value) => SecretInput::Set(value),
        })
    }
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SecretInput::Keep => "Keep",
            SecretInput::Clear => "Clear",
            SecretInput::Set(_) => "Set([REDACTED])",
        })
    }
}

impl SecretInput {
    /// Applies the input to the stored secret.
    pub fn apply(self, stored: &mut Option<String>) {
        match self {
            SecretInput::Keep => {}
            SecretInput::Clear => *stored = None,
            SecretInput::Set(value) => *stored = Some(value),
        }
    }
}

/// On the wire a secret input is a string or `null`: the schema says what each value does.
impl utoipa::PartialSchema for SecretInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some(
                "A write-only secret: absent or `\"set\"` keeps the stored value, `null` or `\"\"` removes it, \
                 any other text replaces it.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for SecretInput {}
