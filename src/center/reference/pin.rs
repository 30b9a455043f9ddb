//! 暗証番号 (PIN) mode: the card's signature over the center's challenge, verified with
//! the key of the certificate the kiosk sent (RSASSA-PKCS1-v1_5 with SHA-256, RSA 2048 to
//! 8192 bits, as JPKI user-authentication keys are).

use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

/// DER of the rsaEncryption OID, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION_OID: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

/// Whether `signature` is a valid RSASSA-PKCS1-v1_5/SHA-256 signature of `message` by the
/// RSA key of `spki` (a SubjectPublicKeyInfo, DER). Any other key type, a malformed SPKI
/// or a bad signature is `false`.
pub fn verify_signature(spki: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Some(key) = rsa_public_key(spki) else {
        return false;
    };
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key)
        .verify(message, signature)
        .is_ok()
}

/// The RSAPublicKey (PKCS#1 DER, what ring verifies with) inside an SPKI:
/// `SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING (0 unused bits) RSAPublicKey }`.
fn rsa_public_key(spki: &[u8]) -> Option<&[u8]> {
    let (spki, rest) = tlv(spki, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (algorithm, key) = tlv(spki, 0x30)?;
    let (bits, rest) = tlv(key, 0x03)?;
    if !rest.is_empty() {
        return None;
    }
    let (oid, parameters) = tlv(algorithm, 0x06)?;
    if oid != RSA_ENCRYPTION_OID || parameters != [0x05, 0x00] {
        return None;
    }
    match bits.split_first() {
        Some((0, key)) => Some(key),
        _ => None,
    }
}

/// The content of the DER TLV with `tag` at the start of `bytes`, and what follows it.
/// Definite lengths of up to three length bytes, minimally encoded.
fn tlv(bytes: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = bytes.split_first()?;
    if first != tag {
        return None;
    }
    let (&length, rest) = rest.split_first()?;
    let (length, rest) = if length < 0x80 {
        (usize::from(length), rest)
    } else {
        let count = usize::from(length & 0x7F);
        if count == 0 || count > 3 {
            return None;
        }
        let digits = rest.get(..count)?;
        if digits[0] == 0 {
            return None;
        }
        let length = digits
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if length < 0x80 {
            return None;
        }
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| rest.split_at(length))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::AuthCertificate;
    use ring::rand::SystemRandom;
    use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

    const TARO_CERT: &[u8] = include_bytes!("../../../tests/pki/cards/taro.cert.der");
    const TARO_KEY: &[u8] = include_bytes!("../../../tests/pki/cards/taro.key.pk8");
    const FAMILY_KEY: &[u8] = include_bytes!("../../../tests/pki/cards/family.key.pk8");

    fn sign(key: &[u8], message: &[u8]) -> Vec<u8> {
        let key = RsaKeyPair::from_pkcs8(key).unwrap();
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            message,
            &mut signature,
        )
        .unwrap();
        signature
    }

    fn taro_spki() -> Vec<u8> {
        AuthCertificate::from_der(TARO_CERT.to_vec())
            .unwrap()
            .subject_public_key_info()
            .to_vec()
    }

    #[test]
    fn the_cards_own_signature_verifies() {
        let nonce = [7u8; 32];
        assert!(verify_signature(
            &taro_spki(),
            &nonce,
            &sign(TARO_KEY, &nonce)
        ));
    }

    #[test]
    fn other_messages_keys_and_broken_signatures_fail() {
        let nonce = [7u8; 32];
        let spki = taro_spki();
        let good = sign(TARO_KEY, &nonce);
        assert!(
            !verify_signature(&spki, &[8u8; 32], &good),
            "another message"
        );
        assert!(
            !verify_signature(&spki, &nonce, &sign(FAMILY_KEY, &nonce)),
            "another card"
        );
        let mut flipped = good.clone();
        flipped[10] ^= 1;
        assert!(!verify_signature(&spki, &nonce, &flipped));
        assert!(!verify_signature(&spki, &nonce, &good[1..]));
        assert!(!verify_signature(&spki, &nonce, &[]));
    }

    #[test]
    fn malformed_or_non_rsa_keys_fail() {
        let nonce = [7u8; 32];
        let good = sign(TARO_KEY, &nonce);
        let spki = taro_spki();
        assert!(rsa_public_key(&spki).is_some());
        // Truncations, trailing bytes, a changed OID and changed parameters.
        for cut in [0, 1, 10, spki.len() - 1] {
            assert!(!verify_signature(&spki[..cut], &nonce, &good), "cut {cut}");
        }
        let mut trailing = spki.clone();
        trailing.push(0);
        assert!(!verify_signature(&trailing, &nonce, &good));
        let oid_at = spki
            .windows(RSA_ENCRYPTION_OID.len())
            .position(|w| w == RSA_ENCRYPTION_OID)
            .unwrap();
        let mut other_oid = spki.clone();
        other_oid[oid_at + RSA_ENCRYPTION_OID.len() - 1] = 0x0B;
        assert!(!verify_signature(&other_oid, &nonce, &good));
        let mut no_null = spki.clone();
        no_null[oid_at + RSA_ENCRYPTION_OID.len()] = 0x04;
        assert!(!verify_signature(&no_null, &nonce, &good));
        assert!(!verify_signature(&[], &nonce, &good));
    }

    #[test]
    fn tlv_lengths_must_be_minimal_and_present() {
        assert_eq!(
            tlv(&[0x30, 0x01, 0xAA, 0xBB], 0x30),
            Some((&[0xAA][..], &[0xBB][..]))
        );
        assert_eq!(
            tlv(&[0x30, 0x81, 0x05], 0x30),
            None,
            "long form for a short length"
        );
        assert_eq!(tlv(&[0x30, 0x82, 0x00, 0x80], 0x30), None, "leading zero");
        assert_eq!(tlv(&[0x30, 0x80], 0x30), None, "indefinite");
        assert_eq!(tlv(&[0x30, 0x02, 0x00], 0x30), None, "short content");
        assert_eq!(tlv(&[0x31, 0x00], 0x30), None, "other tag");
        assert_eq!(tlv(&[], 0x30), None);
    }
}
