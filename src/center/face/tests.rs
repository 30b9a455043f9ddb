use super::*;
use crate::center::model::{
    BackSide, CardClassification, ElderlyCertificate, Preschool, Ratio, Relation, Sex, Validity,
};

fn date(text: &str) -> Date {
    Date::parse_yyyymmdd(text).unwrap()
}

fn sample() -> Qualification {
    Qualification {
        card_classification: CardClassification::Regular,
        insurer_number: "123456".into(),
        insurer_name: "A&B<国保>".into(),
        symbol: Some("医国３４０".into()),
        number: "001".into(),
        branch: Some("02".into()),
        name_kana: "シカク　ガクポ".into(),
        name: "𠮷田　太郎".into(),
        birthdate: date("19520101"),
        sex: Sex::Male,
        valid_from: Some(date("20250401")),
        valid_until: None,
        qualified_on: Some(date("20250401")),
        ratio: None,
        relation: Some(Relation::Family),
        insured_name: Some("資格　花子".into()),
        preschool: None,
        back: None,
        elderly: Some(ElderlyCertificate {
            valid_from: Some(date("20250401")),
            valid_until: None,
            ratio: Ratio::from_percent(20).unwrap(),
        }),
    }
}

fn outcome(q: Option<Qualification>) -> CheckOutcome {
    CheckOutcome {
        confirmation_date: date("20251205"),
        validity: Validity::Valid,
        cert_expiring: false,
        qualification: q,
    }
}

/// 2025-12-05 09:08:07 JST.
fn stamp() -> Stamp {
    Stamp::from_unix_jst(1_764_893_287)
}

fn utf8(o: &CheckOutcome) -> String {
    let xml = render(o, "0110113719", &stamp(), FaceEncoding::Utf8);
    String::from_utf8(xml.bytes().to_vec()).unwrap()
}

#[test]
fn stamps_are_japan_time() {
    assert_eq!(stamp().compact(), "20251205090807");
    // 14:59:59 UTC is 23:59:59 JST; a second later the day changes.
    assert_eq!(
        Stamp::from_unix_jst(1_764_946_799).compact(),
        "20251205235959"
    );
    assert_eq!(
        Stamp::from_unix_jst(1_764_946_800).compact(),
        "20251206000000"
    );
}

#[test]
fn the_header_says_what_the_file_is() {
    let text = utf8(&outcome(Some(sample())));
    assert!(text.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\r\n<XmlMsg>\r\n"
    ));
    for line in [
        "<ProcessExecutionTime>20251205090807</ProcessExecutionTime>",
        "<QualificationConfirmationDate>20251205</QualificationConfirmationDate>",
        "<MedicalInstitutionCode>0110113719</MedicalInstitutionCode>",
        "<ReferenceClassification>1</ReferenceClassification>",
        "<SegmentOfResult>1</SegmentOfResult>",
        "<CharacterCodeIdentifier>0</CharacterCodeIdentifier>",
        "<ProcessingResultStatus>1</ProcessingResultStatus>",
        "<QualificationValidity>1</QualificationValidity>",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(!text.contains("ProcessingResultCode"));
    let mut expiring = outcome(None);
    expiring.cert_expiring = true;
    expiring.validity = Validity::NoQualification;
    let text = utf8(&expiring);
    assert!(text.contains("<ProcessingResultCode>MK-I0001</ProcessingResultCode>"));
    assert!(text.contains("<QualificationValidity>4</QualificationValidity>"));
    assert!(!text.contains("ResultList"), "no result: no list");
}

#[test]
fn fields_map_to_their_elements_and_absent_ones_are_left_out() {
    let text = utf8(&outcome(Some(sample())));
    for line in [
        "<InsuredCardClassification>01</InsuredCardClassification>",
        "<InsurerNumber>  123456</InsurerNumber>",
        "<InsuredCardSymbol>医国３４０</InsuredCardSymbol>",
        "<InsuredIdentificationNumber>001</InsuredIdentificationNumber>",
        "<InsuredBranchNumber>02</InsuredBranchNumber>",
        "<PersonalFamilyClassification>2</PersonalFamilyClassification>",
        "<InsuredName>資格　花子</InsuredName>",
        "<Name>𠮷田　太郎</Name>",
        "<NameKana>ｼｶｸ ｶﾞｸﾎﾟ</NameKana>",
        "<Sex1>1</Sex1>",
        "<Birthdate>19520101</Birthdate>",
        "<QualificationDate>20250401</QualificationDate>",
        "<InsuredCardValidDate>20250401</InsuredCardValidDate>",
        "<InsurerName>A&amp;B&lt;国保&gt;</InsurerName>",
        "<ElderlyRecipientValidStartDate>20250401</ElderlyRecipientValidStartDate>",
        "<ElderlyRecipientContributionRatio>020</ElderlyRecipientContributionRatio>",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    for absent in [
        "InsuredCardExpirationDate",
        "InsuredPartialContributionRatio",
        "PreschoolClassification",
        "NameOfOther",
        "Sex2",
        "ElderlyRecipientValidEndDate",
        "<></>",
    ] {
        assert!(!text.contains(absent), "{absent} in {text}");
    }
    let mut q = sample();
    q.back = Some(BackSide {
        name_kana: Some("タシカク".into()),
        name: None,
        sex: Some(Sex::Female),
    });
    q.preschool = Some(Preschool::BeforeCompulsoryEducation);
    q.ratio = Ratio::from_code("010");
    let text = utf8(&outcome(Some(q)));
    for line in [
        "<NameOfOtherKana>ﾀｼｶｸ</NameOfOtherKana>",
        "<Sex2>2</Sex2>",
        "<PreschoolClassification>1</PreschoolClassification>",
        "<InsuredPartialContributionRatio>010</InsuredPartialContributionRatio>",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(!text.contains("<NameOfOther>"));
}

#[test]
fn shift_jis_is_cp932_with_references_for_what_it_cannot_hold() {
    let xml = render(
        &outcome(Some(sample())),
        "0110113719",
        &stamp(),
        FaceEncoding::ShiftJis,
    );
    assert_eq!(xml.unmappable, 1, "𠮷 only");
    let bytes = xml.bytes();
    assert!(bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>"));
    let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(find(
        b"<CharacterCodeIdentifier>1</CharacterCodeIdentifier>"
    ));
    assert!(find(
        b"<Name>&#134071;\x93\x63\x81\x40\x91\xbe\x98\x59</Name>"
    ));
    assert!(find(
        b"<NameKana>\xbc\xb6\xb8 \xb6\xde\xb8\xce\xdf</NameKana>"
    ));
    assert!(bytes.is_ascii() || !find("資".as_bytes()), "no UTF-8 left");
}

#[test]
fn insurer_numbers_are_eight_characters() {
    assert_eq!(insurer_number("123456"), "  123456");
    assert_eq!(insurer_number("  123456"), "  123456");
    assert_eq!(insurer_number("39131156"), "39131156");
    assert_eq!(insurer_number("12136017"), "12136017");
}

#[test]
fn kana_is_half_width() {
    assert_eq!(half_width_kana("シンリョウ　タロウ"), "ｼﾝﾘｮｳ ﾀﾛｳ");
    assert_eq!(half_width_kana("ヴァージニア・パッポ"), "ｳﾞｧｰｼﾞﾆｱ･ﾊﾟｯﾎﾟ");
    assert_eq!(half_width_kana("がっこう"), "ｶﾞｯｺｳ");
    assert_eq!(half_width_kana("ＡＢＣ１"), "ABC1");
    assert_eq!(
        half_width_kana("ｼﾝﾘｮｳ ﾀﾛｳ"),
        "ｼﾝﾘｮｳ ﾀﾛｳ",
        "already half-width"
    );
    // Every full-width katakana maps to something CP932 holds in one byte per character.
    for cp in 0x30A1..=0x30F6u32 {
        let half = half_width_kana(&char::from_u32(cp).unwrap().to_string());
        assert!(
            half.chars().all(|c| ('\u{FF61}'..='\u{FF9F}').contains(&c)),
            "{cp:x} -> {half}"
        );
    }
}

#[test]
fn file_names_match_what_readers_accept_and_only_ours_are_ours() {
    let name = file_name("0110113719", "123000001", &stamp());
    assert_eq!(
        name,
        "OQSsiquc01res_face_MK0110113719123000001_20251205090807.xml"
    );
    assert!(is_own_file(&name));
    assert!(is_own_file(&temp_name(&name)));
    assert!(temp_name(&name).starts_with('.') && !temp_name(&name).ends_with(".xml"));
    for other in [
        "OQSsiquc01res_face_0110113719001_20251205090807.xml",
        "OQSsiquc01res_face_MK0110113719_2025120509080.xml",
        "OQSsiquc01res_face_MKabc_20251205090807.xml",
        "OQSsiquc01res_face_MK0110113719123000001_20251205090807.xml.bak",
        "OQSsiquc01res_face_MK0110113719123000001_20251205090807.xml.part",
        "notes.txt",
        "",
    ] {
        assert!(!is_own_file(other), "{other}");
    }
}
