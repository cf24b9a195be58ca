//! A macro for string-valued enums that tolerate values this client does not know.
//!
//! Pebble adds values over time (a new change status, a new notice type). A response carrying
//! one must still parse, so every such enum keeps an `Unknown(String)` variant holding the
//! original text, and serializes back to exactly that text.

/// Declares a string enum with known variants plus `Unknown(String)`, with `as_str`, `Display`,
/// `FromStr` (infallible), `From<&str>`, and serde as a plain JSON/YAML string.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this client does not know (newer Pebble), kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The wire form of this value, exactly as Pebble spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Unknown(s) => s.as_str(),
                }
            }

            /// Whether this is a value the client knows (not [`Self::Unknown`]).
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $text => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from(s.as_str()) {
                    Self::Unknown(_) => Self::Unknown(s),
                    known => known,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::from(s))
            }
        }
    };
}

pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    string_enum! {
        /// Test enum.
        pub enum Colour {
            /// Red.
            Red = "red",
            /// Light blue.
            LightBlue = "light-blue",
        }
    }

    #[test]
    fn known_and_unknown_round_trip() {
        assert_eq!(Colour::from("light-blue"), Colour::LightBlue);
        assert_eq!(Colour::from("mauve"), Colour::Unknown("mauve".into()));
        let json = serde_json::to_string(&Colour::Unknown("mauve".into())).unwrap();
        assert_eq!(json, "\"mauve\"");
        let back: Colour = serde_json::from_str("\"red\"").unwrap();
        assert_eq!(back, Colour::Red);
        assert!(back.is_known());
        assert_eq!(Colour::LightBlue.to_string(), "light-blue");
    }
}
