//! Tracking ids and access tokens.
//!
//! A tracking id is read over the phone and typed into an SMS, so it uses Crockford's base32
//! alphabet (no I, L, O, U; case-insensitive; O/I/L typed by mistake are read as 0/1/1): nine
//! random symbols (45 bits, so ids are not guessable in sequence) and one check symbol that catches
//! every single-symbol typo and most swaps of neighbours. Printed as `XXXXX-XXXXX`, accepted with
//! or without the dash and spaces.

use rand::{rngs::OsRng, Rng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_SYMBOLS: usize = 9;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct TrackingId(String);

impl TrackingId {
    pub fn generate() -> TrackingId {
        // ThreadRng is a CSPRNG seeded from the OS: unpredictable ids without a syscall per symbol.
        let mut rng = rand::thread_rng();
        let mut symbols: Vec<u8> = (0..RANDOM_SYMBOLS)
            .map(|_| ALPHABET[rng.gen_range(0..32)])
            .collect();
        symbols.push(ALPHABET[check_value(&symbols)]);
        TrackingId(String::from_utf8(symbols).expect("alphabet is ASCII"))
    }

    /// Reads what a person typed: any case, with dashes or spaces, O for 0 and I/L for 1.
    pub fn parse(input: &str) -> Option<TrackingId> {
        let mut symbols = Vec::with_capacity(RANDOM_SYMBOLS + 1);
        for c in input.trim().chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            symbols.push(c as u8);
        }
        if symbols.len() != RANDOM_SYMBOLS + 1 {
            return None;
        }
        let check = symbols[RANDOM_SYMBOLS];
        if ALPHABET[check_value(&symbols[..RANDOM_SYMBOLS])] != check {
            return None;
        }
        Some(TrackingId(
            String::from_utf8(symbols).expect("checked ASCII"),
        ))
    }

    /// The compact form: ten symbols, no dash (what is stored and what an SMS carries).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The grouped form for reading aloud: `XXXXX-XXXXX`.
    pub fn display_grouped(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }
}

/// Weighted sum mod 32 with odd weights. Every symbol differs from another by less than 32 and an
/// odd weight is invertible mod 32, so changing any one symbol always changes the check; swapping
/// neighbours changes it unless the two symbols are equal or 16 apart.
fn check_value(symbols: &[u8]) -> usize {
    let sum: usize = symbols
        .iter()
        .enumerate()
        .map(|(i, &s)| (2 * i + 1) * symbol_value(s))
        .sum();
    sum % 32
}

fn symbol_value(s: u8) -> usize {
    ALPHABET.iter().position(|&a| a == s).unwrap_or(0)
}

impl fmt::Display for TrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TrackingId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TrackingId::parse(&s).ok_or_else(|| format!("not a tracking id: {s:?}"))
    }
}

impl From<TrackingId> for String {
    fn from(id: TrackingId) -> String {
        id.0
    }
}

/// The reporter's secret for one report. Shown once; only its SHA-256 is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn generate() -> AccessToken {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        AccessToken(crate::crypto::b64url(&bytes))
    }

    pub fn from_presented(token: &str) -> AccessToken {
        AccessToken(token.trim().to_string())
    }

    pub fn secret(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// Compares hashes in constant time, so timing says nothing about how much matched.
    pub fn matches(&self, stored_hash: &str) -> bool {
        crate::crypto::constant_time_eq(self.hash().as_bytes(), stored_hash.as_bytes())
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_in_every_typed_form() {
        for _ in 0..1000 {
            let id = TrackingId::generate();
            assert_eq!(id.as_str().len(), 10);
            assert_eq!(TrackingId::parse(id.as_str()), Some(id.clone()));
            assert_eq!(TrackingId::parse(&id.display_grouped()), Some(id.clone()));
            let lower = id.as_str().to_ascii_lowercase();
            assert_eq!(TrackingId::parse(&lower), Some(id.clone()));
            let spaced = format!(" {} {} ", &id.as_str()[..5], &id.as_str()[5..]);
            assert_eq!(TrackingId::parse(&spaced), Some(id));
        }
    }

    #[test]
    fn every_single_symbol_typo_is_caught() {
        let id = TrackingId::generate();
        let s = id.as_str().as_bytes().to_vec();
        for pos in 0..s.len() {
            for &sym in ALPHABET.iter() {
                if sym == s[pos] {
                    continue;
                }
                let mut typo = s.clone();
                typo[pos] = sym;
                assert!(TrackingId::parse(std::str::from_utf8(&typo).unwrap()).is_none());
            }
        }
    }

    #[test]
    fn most_neighbour_swaps_are_caught() {
        let mut caught = 0;
        let mut swaps = 0;
        for _ in 0..200 {
            let id = TrackingId::generate();
            let s = id.as_str().as_bytes().to_vec();
            for pos in 0..s.len() - 1 {
                if s[pos] == s[pos + 1] {
                    continue;
                }
                let mut swapped = s.clone();
                swapped.swap(pos, pos + 1);
                swaps += 1;
                if TrackingId::parse(std::str::from_utf8(&swapped).unwrap()).is_none() {
                    caught += 1;
                }
            }
        }
        assert!(caught * 100 >= swaps * 90, "{caught} of {swaps}");
    }

    #[test]
    fn confusable_letters_are_read_as_digits() {
        let id = TrackingId::parse("0000000000").expect("all zeros is valid: check of 0 is 0");
        assert_eq!(TrackingId::parse("OOOOOOOOOO"), Some(id));
        assert!(TrackingId::parse("").is_none());
        assert!(TrackingId::parse("ABCDEFGHJKM").is_none());
        assert!(TrackingId::parse("ABCDÉFGHJK").is_none());
    }

    #[test]
    fn tokens_match_only_their_hash() {
        let t = AccessToken::generate();
        assert!(t.secret().len() >= 43);
        assert!(t.matches(&t.hash()));
        assert!(!AccessToken::generate().matches(&t.hash()));
        assert!(!format!("{t:?}").contains(t.secret()));
    }
}
