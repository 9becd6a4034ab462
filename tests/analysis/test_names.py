"""Tests for the personal-data vocabulary and identifier classifier."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copguard_lint.analysis.names import (
    Category,
    NameMatch,
    Vocabulary,
    default_vocabulary,
    split_words,
)


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return default_vocabulary()


# ------------------------------------------------------------ split_words


@pytest.mark.parametrize(
    "identifier, words",
    [
        ("childFirstName", ("child", "first", "name")),
        ("HTTPServer2", ("http", "server", "2")),
        ("AF_INET", ("af", "inet")),
        ("__dict__", ("dict",)),
        ("DOB", ("dob",)),
        ("userIPAddress", ("user", "ip", "address")),
        ("child_first_name", ("child", "first", "name")),
        ("ChildFirstName", ("child", "first", "name")),
        ("CHILD_FIRST_NAME", ("child", "first", "name")),
        ("child-first-name", ("child", "first", "name")),
        ("request.user.email", ("request", "user", "email")),
        ("address1", ("address", "1")),
        ("sha256", ("sha", "256")),
        ("X-Forwarded-For", ("x", "forwarded", "for")),
        ("date of birth", ("date", "of", "birth")),
        ("getHTTPResponseCode", ("get", "http", "response", "code")),
        ("_private", ("private",)),
        ("", ()),
        ("___", ()),
        ("naïveÜberName", ("naïve", "über", "name")),
    ],
)
def test_split_words(identifier: str, words: tuple) -> None:
    assert split_words(identifier) == words


def test_split_words_is_cached() -> None:
    assert hasattr(split_words, "cache_info")
    split_words("someCachedName")
    before = split_words.cache_info().hits
    split_words("someCachedName")
    assert split_words.cache_info().hits == before + 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_split_words_gives_lower_case_alphanumeric_words(text: str) -> None:
    words = split_words(text)
    assert all(word and word == word.lower() and word.isalnum() for word in words)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from([None, "child", "adult", "person"]))
def test_classify_never_fails_and_is_consistent(text: str, hint) -> None:
    match = default_vocabulary().classify(text, subject_hint=hint)
    assert isinstance(match, NameMatch)
    assert match.name == text
    if match.category is None:
        assert match.phrase == () and match.label is None and match.subject is None
    else:
        assert match.phrase and match.label and match.excluded_by is None


# ---------------------------------------------------------------- positives

POSITIVES = [
    # name, category, label, subject
    ("first_name", "name", "first name", None),
    ("firstName", "name", "first name", None),
    ("FIRST_NAME", "name", "first name", None),
    ("childFirstName", "name", "first name", "child"),
    ("kid_first_name", "name", "first name", "child"),
    ("lastname", "name", "last name", None),
    ("surname", "name", "last name", None),
    ("family_name", "name", "last name", None),
    ("given_name", "name", "first name", None),
    ("full_name", "name", "full name", None),
    ("student_full_name", "name", "full name", "child"),
    ("middle_name", "name", "middle name", None),
    ("nickname", "name", "nickname", None),
    ("child_name", "name", "name", "child"),
    ("childName", "name", "name", "child"),
    ("PUPIL_NAME", "name", "name", "child"),
    ("parent_name", "name", "name", "adult"),
    ("child_username", "name", "username", "child"),
    ("name_of_child", "name", "name", "child"),
    ("first_names_list", "name", "first name", None),
    ("email", "contact", "email address", None),
    ("EMAIL", "contact", "email address", None),
    ("e_mail", "contact", "email address", None),
    ("emailAddress", "contact", "email address", None),
    ("email_addresses", "contact", "email address", None),
    ("child_email", "contact", "email address", "child"),
    ("user_email", "contact", "email address", "person"),
    ("request.user.email", "contact", "email address", "person"),
    ("email_str", "contact", "email address", None),
    ("email2", "contact", "email address", None),
    ("new_email", "contact", "email address", None),
    ("billing_email", "contact", "email address", None),
    ("phone", "contact", "phone number", None),
    ("phoneNumber", "contact", "phone number", None),
    ("PHONE_NUMBER", "contact", "phone number", None),
    ("mobile_no", "contact", "phone number", None),
    ("telephone", "contact", "phone number", None),
    ("cellphone", "contact", "phone number", None),
    ("home_address", "contact", "home address", None),
    ("street_address", "contact", "home address", None),
    ("address_line_1", "contact", "home address", None),
    ("child_address", "contact", "postal address", "child"),
    ("postcode", "contact", "postcode", None),
    ("zipCode", "contact", "postcode", None),
    ("postal_code", "contact", "postcode", None),
    ("parent_email", "contact", "email address", "adult"),
    ("guardian_phone", "contact", "phone number", "adult"),
    ("guardianPhoneNumber", "contact", "phone number", "adult"),
    ("mother_mobile_number", "contact", "phone number", "adult"),
    ("childParentEmail", "contact", "email address", "adult"),
    ("parent_child_email", "contact", "email address", "child"),
    ("date_of_birth", "birth_date", "date of birth", None),
    ("DateOfBirth", "birth_date", "date of birth", None),
    ("dob", "birth_date", "date of birth", None),
    ("DOB", "birth_date", "date of birth", None),
    ("child_dob", "birth_date", "date of birth", "child"),
    ("birthdate", "birth_date", "date of birth", None),
    ("birth_date", "birth_date", "date of birth", None),
    ("birthday", "birth_date", "date of birth", None),
    ("bday", "birth_date", "date of birth", None),
    ("birthYear", "birth_date", "birth year", None),
    ("year_of_birth", "birth_date", "birth year", None),
    ("yob", "birth_date", "birth year", None),
    ("student_age", "birth_date", "age", "child"),
    ("kid_age_years", "birth_date", "age", "child"),
    ("student_number", "school", "student number", "child"),
    ("studentNo", "school", "student number", "child"),
    ("child_school", "school", "school", "child"),
    ("student_grade", "school", "school year or class", "child"),
    ("pupil_class_name", "school", "school year or class", "child"),
    ("latitude", "location", "latitude", None),
    ("longitude", "location", "longitude", None),
    ("lat", "location", "latitude", None),
    ("lng", "location", "longitude", None),
    ("lon", "location", "longitude", None),
    ("latLng", "location", "coordinates", None),
    ("gps", "location", "geolocation", None),
    ("GPS_COORDINATES", "location", "coordinates", None),
    ("geolocation", "location", "geolocation", None),
    ("user_location", "location", "location", "person"),
    ("child_current_location", "location", "location", "child"),
    ("kid_coords", "location", "location", "child"),
    ("avatar", "media", "photo", None),
    ("avatar_url", "media", "photo", None),
    ("selfie", "media", "photo", None),
    ("profile_picture", "media", "photo", "person"),
    ("kid_photo", "media", "photo", "child"),
    ("childPhotos", "media", "photo", "child"),
    ("student_image_url", "media", "photo", "child"),
    ("voice_recording", "media", "voice recording", None),
    ("child_video", "media", "video or audio recording", "child"),
    ("face_encoding", "biometric", "facial template", None),
    ("face_image", "media", "face data", None),
    ("device_id", "device_id", "device identifier", None),
    ("deviceId", "device_id", "device identifier", None),
    ("idfa", "device_id", "advertising identifier", None),
    ("IDFA", "device_id", "advertising identifier", None),
    ("gaid", "device_id", "advertising identifier", None),
    ("advertising_id", "device_id", "advertising identifier", None),
    ("ip", "device_id", "IP address", None),
    ("ip_address", "device_id", "IP address", None),
    ("userIPAddress", "device_id", "IP address", "person"),
    ("client_ip", "device_id", "IP address", None),
    ("remote_addr", "device_id", "IP address", None),
    ("REMOTE_ADDR", "device_id", "IP address", None),
    ("mac_address", "device_id", "MAC address", None),
    ("imei", "device_id", "device identifier", None),
    ("cookie", "device_id", "cookie", None),
    ("push_token", "device_id", "push token", None),
    ("fcmToken", "device_id", "push token", None),
    ("device_fingerprint", "device_id", "device fingerprint", None),
    ("ssn", "government_id", "social security number", None),
    ("SSN", "government_id", "social security number", None),
    ("social_security_number", "government_id", "social security number", None),
    ("passport_number", "government_id", "passport number", None),
    ("national_id", "government_id", "national identity number", None),
    ("drivers_license", "government_id", "driving licence number", None),
    ("tax_id", "government_id", "tax identifier", None),
    ("medical_history", "health", "medical information", None),
    ("diagnosis", "health", "diagnosis", None),
    ("allergies", "health", "allergy", None),
    ("child_allergies", "health", "allergy", "child"),
    ("disability", "health", "disability", None),
    ("child_medication", "health", "health detail", "child"),
    ("password", "credentials", "password", None),
    ("PASSWORD", "credentials", "password", None),
    ("new_password", "credentials", "password", None),
    ("password_confirmation", "credentials", "password", None),
    ("passcode", "credentials", "password", None),
    ("child_pin", "credentials", "password", "child"),
    ("secret_answer", "credentials", "secret answer", None),
    ("auth_token", "credentials", "authentication token", None),
    ("access_token", "credentials", "authentication token", None),
    ("api_key", "credentials", "authentication token", None),
    ("user_message", "free_text", "message", "person"),
    ("child_comment", "free_text", "comment or post", "child"),
    ("user_bio", "free_text", "bio", "person"),
    ("student_notes", "free_text", "note", "child"),
    ("member_post_body", "free_text", "comment or post", "person"),
    ("gender", "demographics", "gender", None),
    ("child_gender", "demographics", "gender", "child"),
    ("religion", "special_category", "religion", None),
]


@pytest.mark.parametrize("name, category, label, subject", POSITIVES)
def test_positive(vocab: Vocabulary, name: str, category: str, label: str, subject) -> None:
    match = vocab.classify(name)
    assert match.category is not None, f"{name}: {match.excluded_by}"
    assert match.category.id == category
    assert match.label == label
    assert match.subject == subject
    assert match.excluded_by is None
    assert match.is_personal


# ---------------------------------------------------------------- negatives

NEGATIVES = [
    # Trailing words: the head of the compound is something else.
    "email_sent",
    "email_enabled",
    "email_template",
    "email_backend",
    "EMAIL_HOST",
    "settings.EMAIL_HOST",
    "EMAIL_PORT",
    "email_subject",
    "email_body",
    "EmailMessage",
    "EmailField",
    "email_verified",
    "email_count",
    "email_id",
    "name_field",
    "display_name_field",
    "first_name_label",
    "address_family",
    "AF_INET",
    "location_enabled",
    "location_id",
    "photo_count",
    "photo_path",
    "age_limit",
    "birth_date_format",
    "birthday_message",
    "phone_regex",
    "phone_number_validator",
    "ip_version",
    "ip_whitelist",
    "password_reset",
    "PASSWORD_HASHERS",
    "AUTH_PASSWORD_VALIDATORS",
    "cookie_name",
    "cookie_domain",
    "SESSION_COOKIE_AGE",
    "GENDER_CHOICES",
    "latitude_column",
    "avatar_size",
    "ssn_format",
    "api_key_header",
    # Leading flag, count and setting words.
    "is_email_verified",
    "has_avatar",
    "has_phone",
    "max_age",
    "min_age",
    "num_children",
    "num_emails",
    "show_location",
    "use_gps",
    "allow_photos",
    "default_avatar",
    "DEFAULT_FROM_EMAIL",
    "enable_location",
    "total_messages",
    "min_password_length",
    "valid_email",
    # Actions on the data: methods, views, URL names.
    "set_password",
    "user.set_password",
    "change_email",
    "forgot_password",
    "reset_password",
    "update_phone_number",
    # Hashed, masked and otherwise derived values.
    "email_hash",
    "hashed_email",
    "masked_phone",
    "redacted_name",
    "password_hash",
    "hashed_password",
    "encrypted_ssn",
    "anonymized_ip",
    "email_sha256",
    "email_md5",
    "ssn_last_4",
    "first_name_initial",
    # Internal identifiers.
    "user_id",
    "student_id",
    "child_id",
    "pk",
    "uuid",
    "parent_id",
    # Owners that are not people.
    "server_ip",
    "host_ip",
    "bind_address",
    "local_ip",
    "support_email",
    "from_email",
    "webmaster_email",
    "service_account_email",
    "db_password",
    "smtp_user_password",
    "test_user_email",
    "module_full_name",
    "font_family_name",
    "map_center_lat",
    "store_latitude",
    "school_email",
    # Weak phrases without a person.
    "name",
    "file_name",
    "filename",
    "class_name",
    "host_name",
    "app_name",
    "verbose_name",
    "display_name",
    "username",
    "address",
    "server_address",
    "wallet_address",
    "age",
    "cache_age",
    "location",
    "storage_location",
    "message",
    "error_message",
    "chat_message",
    "comment",
    "text",
    "body",
    "photo",
    "image",
    "image_url",
    "picture",
    "school",
    "grade",
    "note",
    "bio",
    "coordinates",
    "mouse_coordinates",
    "pin",
    "led_pin",
    "user_email_body",
    # False friends listed in the vocabulary.
    "virtual_ip",
    "csrf_cookie",
    "wifi_password",
    # Nothing personal at all.
    "settings",
    "request",
    "user",
    "children",
    "token",
    "session_id",
    "created_at",
]


@pytest.mark.parametrize("name", NEGATIVES)
def test_negative(vocab: Vocabulary, name: str) -> None:
    match = vocab.classify(name)
    assert match.category is None, f"{name} matched {match.phrase} ({match.label})"
    assert match.phrase == ()
    assert match.label is None
    assert not match.is_personal


def test_tables_are_big_enough() -> None:
    assert len(POSITIVES) + len(NEGATIVES) >= 120
    assert len({name for name, *_ in POSITIVES}) == len(POSITIVES)
    assert len(set(NEGATIVES)) == len(NEGATIVES)


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("email_template", "trailing word 'template'"),
        ("email_sent", "trailing word 'sent'"),
        ("age_limit", "trailing word 'limit'"),
        ("is_email_verified", "leading word 'is'"),
        ("max_age", "leading word 'max'"),
        ("num_emails", "leading word 'num'"),
        ("email_hash", "word 'hash'"),
        ("hashed_email", "word 'hashed'"),
        ("masked_phone", "word 'masked'"),
        ("redacted_name", "word 'redacted'"),
        ("email_md5", "word 'md 5'"),
        ("server_ip", "word 'server'"),
        ("service_account_email", "word 'service'"),
        ("file_name", "'file name'"),
        ("virtual_ip", "'virtual ip'"),
        ("name", "weak phrase"),
        ("storage_location", "weak phrase"),
    ],
)
def test_exclusion_is_recorded(vocab: Vocabulary, name: str, fragment: str) -> None:
    match = vocab.classify(name)
    assert match.category is None
    assert match.excluded_by is not None and fragment in match.excluded_by


def test_no_phrase_means_no_exclusion(vocab: Vocabulary) -> None:
    for name in ("user_id", "created_at", "AF_INET", "num_children"):
        assert vocab.classify(name).excluded_by is None


# ------------------------------------------------------------ categories


def test_category_metadata(vocab: Vocabulary) -> None:
    required = {
        "name", "contact", "birth_date", "school", "location", "media", "device_id",
        "government_id", "health", "credentials", "free_text", "biometric",
    }
    assert required <= set(vocab.categories)
    for category in vocab.categories.values():
        assert isinstance(category, Category)
        assert category.sensitivity in ("low", "medium", "high", "critical")
        assert category.label
    assert vocab.categories["device_id"].persistent_identifier
    assert not vocab.categories["contact"].persistent_identifier
    assert vocab.categories["location"].sensitivity == "critical"
    assert vocab.categories["health"].sensitivity == "critical"
    assert vocab.categories["biometric"].sensitivity == "critical"
    assert vocab.classify("idfa").category.persistent_identifier


def test_strong_and_weak(vocab: Vocabulary) -> None:
    assert not vocab.classify("email").weak
    assert not vocab.classify("child_email").weak
    assert vocab.classify("child_name").weak
    assert vocab.classify("user_location").weak


# --------------------------------------------------------------- subjects


@pytest.mark.parametrize(
    "name, hint, category, subject",
    [
        # Weak phrases count with a person receiver and nothing before them.
        ("name", "child", "name", "child"),
        ("name", "person", "name", "person"),
        ("age", "child", "birth_date", "child"),
        ("location", "person", "location", "person"),
        ("photo", "child", "media", "child"),
        ("message", "person", "free_text", "person"),
        ("username", "person", "name", "person"),
        ("display_name", "person", "name", "person"),
        ("new_name", "child", "name", "child"),
        ("school_name", "child", "school", "child"),
        ("address", "adult", "contact", "adult"),
        # Without a person receiver they do not.
        ("name", None, None, None),
        ("age", None, None, None),
        # ...nor with a non-person word before them.
        ("file_name", "person", None, None),
        ("error_message", "child", None, None),
        ("storage_location", "child", None, None),
        # Strong phrases: the hint fills in an unknown subject...
        ("email", "child", "contact", "child"),
        ("billing_email", "adult", "contact", "adult"),
        ("email", None, "contact", None),
        # ...but the name's own words win.
        ("parent_email", "child", "contact", "adult"),
        ("child_name", "adult", "name", "child"),
        # Exclusions still hold.
        ("email_template", "child", None, None),
        ("server_ip", "person", None, None),
    ],
)
def test_subject_hint(vocab: Vocabulary, name: str, hint, category, subject) -> None:
    match = vocab.classify(name, subject_hint=hint)
    assert (match.category.id if match.category else None) == category
    assert match.subject == subject


def test_subject_hint_is_validated(vocab: Vocabulary) -> None:
    with pytest.raises(ValueError, match="subject_hint"):
        vocab.classify("email", subject_hint="kid")


def test_classify_is_cached_per_hint(vocab: Vocabulary) -> None:
    assert vocab.classify("name", "child") is vocab.classify("name", "child")
    assert vocab.classify("name", "child").category is not None
    assert vocab.classify("name").category is None


@pytest.mark.parametrize(
    "name, subject",
    [
        ("pupil", "child"),
        ("current_student", "child"),
        ("children", "child"),
        ("kids", "child"),
        ("child_obj", "child"),
        ("self.child", "child"),
        ("request.user", "person"),
        ("user", "person"),
        ("users", "person"),
        ("member_instance", "person"),
        ("profile", "person"),
        ("parent_profile", "adult"),
        ("guardian", "adult"),
        ("teacher", "adult"),
        ("student.parent", "adult"),
        ("child_profile", "child"),
        ("settings", None),
        ("form", None),
        ("user_form", None),
        ("request", None),
        ("self", None),
        ("obj", None),
        ("db_user", None),
        ("test_user", None),
        ("service_account", None),
        ("", None),
    ],
)
def test_subject_of(vocab: Vocabulary, name: str, subject) -> None:
    assert vocab.subject_of(name) == subject


@pytest.mark.parametrize(
    "name, subject",
    [
        ("parent_email", "adult"),
        ("guardian_phone", "adult"),
        ("child_first_name", "child"),
        ("email", None),
        ("teacher_name", "adult"),
        ("admin_user_email", "adult"),
        ("user_profile_photo", "person"),
        ("child_profile_photo", "child"),
        ("child_parent_phone", "adult"),
        ("email_of_parent", "adult"),
    ],
)
def test_subject_from_name(vocab: Vocabulary, name: str, subject) -> None:
    match = vocab.classify(name)
    assert match.category is not None
    assert match.subject == subject


# -------------------------------------------------------------- sanitizers


@pytest.mark.parametrize(
    "name",
    [
        "hash", "hashlib.sha256", "hashlib.md5", "hmac.new", "sha256", "mask_email",
        "redact_pii", "hash_value", "anonymize", "anonymise_user", "pseudonymize",
        "obfuscate", "encrypt", "truncate", "len", "bool", "count", "exists",
        "SecretStr", "hexdigest", "maskPhoneNumber",
    ],
)
def test_sanitizers(vocab: Vocabulary, name: str) -> None:
    assert vocab.is_sanitizer(name)


@pytest.mark.parametrize(
    "name",
    ["print", "logger.info", "send_email", "str", "format", "json.dumps", "account", "unmask", "bitmask"],
)
def test_not_sanitizers(vocab: Vocabulary, name: str) -> None:
    assert not vocab.is_sanitizer(name)


# ---------------------------------------------------------------- explain


def test_explain_match(vocab: Vocabulary) -> None:
    text = vocab.explain("parent_email")
    assert "parent, email" in text
    assert "contact" in text and "email address" in text
    assert "adult" in text and "'parent'" in text
    assert len(text.splitlines()) >= 4


def test_explain_exclusion(vocab: Vocabulary) -> None:
    text = vocab.explain("email_template")
    assert "not personal data" in text
    assert "trailing word 'template'" in text
    text = vocab.explain("hashed_email")
    assert "'hashed'" in text


def test_explain_no_phrase(vocab: Vocabulary) -> None:
    assert "no personal-data phrase" in vocab.explain("created_at")


def test_explain_weak_with_hint(vocab: Vocabulary) -> None:
    text = vocab.explain("name", subject_hint="child")
    assert "weak" in text and "subject hint" in text


# ---------------------------------------------------------------- extension


def test_extend_existing_category() -> None:
    vocab = Vocabulary.load(
        extend={
            "categories": {
                "contact": {"phrases": ["signal handle"], "exclude": ["alert email"]},
                "name": {"weak-phrases": [["moniker"]]},
            },
            "child-subjects": ["cub"],
            "sanitizers": ["scramble"],
        }
    )
    assert vocab.classify("signal_handle").category.id == "contact"
    assert vocab.classify("alert_email").category is None
    assert "'alert email'" in vocab.classify("alert_email").excluded_by
    assert vocab.classify("cub_moniker").subject == "child"
    assert vocab.classify("moniker").category is None
    assert vocab.subject_of("cub") == "child"
    assert vocab.is_sanitizer("scramble_email")
    # The default vocabulary is untouched.
    default = default_vocabulary()
    assert default.classify("signal_handle").category is None
    assert default.classify("alert_email").category is not None
    assert not default.is_sanitizer("scramble_email")


def test_extend_new_category() -> None:
    vocab = Vocabulary.load(
        extend={
            "categories": {
                "financial": {
                    "label": "payment details",
                    "sensitivity": "high",
                    "phrases": ["card number", ["iban"]],
                    "weak-phrases": ["balance"],
                }
            }
        }
    )
    match = vocab.classify("parent_card_number")
    assert match.category == Category("financial", "payment details", "high", False)
    assert match.subject == "adult"
    assert match.label == "card number"
    assert vocab.classify("iban").category.id == "financial"
    assert vocab.classify("balance").category is None
    assert vocab.classify("user_balance").category.id == "financial"


def test_extend_moves_a_phrase() -> None:
    vocab = Vocabulary.load(extend={"categories": {"free_text": {"phrases": ["bio"]}}})
    match = vocab.classify("bio")
    assert match.category.id == "free_text" and not match.weak


@pytest.mark.parametrize(
    "extend, message",
    [
        ({"categories": {"financial": {"phrases": ["iban"]}}}, "label"),
        ({"categories": {"financial": {"label": "x", "sensitivity": "huge", "phrases": []}}}, "sensitivity"),
        ({"categories": {"contact": {"phrases": "email"}}}, "list"),
        ({"categories": {"contact": {"phrases": [3]}}}, "phrase"),
        ({"categories": {"contact": {"phrases": [""]}}}, "no words"),
        ({"categories": {"contact": {"colour": "red"}}}, "unknown key"),
        ({"categories": {"contact": ["email"]}}, "table"),
        ({"categories": {"Bad Id": {"label": "x", "sensitivity": "low"}}}, "lower_snake_case"),
        ({"categories": ["contact"]}, "categories"),
        ({"child-subject": ["cub"]}, "unknown key"),
        ({"child-subjects": ["little one"]}, "single words"),
        ({"child-subjects": "cub"}, "list"),
        ({"categories": {"contact": {"persistent-identifier": "yes"}}}, "persistent-identifier"),
        ("not a mapping", "table"),
    ],
)
def test_malformed_extension(extend, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Vocabulary.load(extend=extend)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the data


def test_default_vocabulary_is_shared() -> None:
    assert default_vocabulary() is default_vocabulary()


def test_every_category_has_phrases(vocab: Vocabulary) -> None:
    used = {phrase.category.id for phrase in vocab.phrases.values()}
    assert used == set(vocab.categories)


# ------------------------------------------------------------- biometrics
# COPPA (2025) counts biometric identifiers as personal information. A bare
# "fingerprint" is mostly a file's, a key's or a device's: the owner decides.


@pytest.mark.parametrize(
    "name, hint, label, subject",
    [
        ("face_embedding", None, "facial template", None),
        ("student_face_encoding", None, "facial template", "child"),
        ("faceprint", None, "facial template", None),
        ("voiceprint", None, "voiceprint", None),
        ("speaker_embedding", None, "voiceprint", None),
        ("iris_scan", None, "iris or retina scan", None),
        ("fingerprint_template", None, "fingerprint", None),
        ("child_fingerprint", None, "fingerprint", "child"),
        ("fingerprint", "person", "fingerprint", "person"),
        ("user.fingerprint", None, "fingerprint", "person"),
        ("biometric_data", None, "biometric data", None),
    ],
)
def test_biometric(vocab: Vocabulary, name: str, hint, label: str, subject) -> None:
    match = vocab.classify(name, subject_hint=hint)
    assert match.category is not None and match.category.id == "biometric", match.excluded_by
    assert match.label == label
    assert match.subject == subject


@pytest.mark.parametrize(
    "name, hint",
    [
        ("fingerprint", None),  # whose? a bare fingerprint is usually a file's or a key's
        ("file_fingerprint", "person"),
        ("ssh_key_fingerprint", None),
        ("key_fingerprint", "person"),
        ("cache_fingerprint", None),
        ("certificate_fingerprint", "person"),
        ("gpg_fingerprint", "person"),
        ("asset_fingerprint", None),
        ("has_biometrics", None),
        ("biometric_enabled", None),
        ("face_embedding_model", None),
    ],
)
def test_not_biometric(vocab: Vocabulary, name: str, hint) -> None:
    match = vocab.classify(name, subject_hint=hint)
    assert match.category is None or match.category.id != "biometric", match


def test_device_fingerprint_stays_a_device_identifier(vocab: Vocabulary) -> None:
    assert vocab.classify("browser_fingerprint").category.id == "device_id"
    assert vocab.classify("device_fingerprint").category.id == "device_id"


# ------------------------------------------------- contacts and organisations


@pytest.mark.parametrize(
    "name, hint, subject",
    [
        ("contact_email", None, "adult"),  # a point of contact: an organisation's, an event's
        ("contact_name", None, "adult"),
        ("emergency_contact_phone", None, "adult"),
        ("contact.email", None, "adult"),
        ("child_contact_email", None, "adult"),  # the child's emergency contact
        ("friend_email", None, "person"),  # near miss: a child's contact list is its friends
        ("buddy_name", None, "person"),
    ],
)
def test_contact_is_a_role(vocab: Vocabulary, name: str, hint, subject) -> None:
    match = vocab.classify(name, subject_hint=hint)
    assert match.category is not None
    assert match.subject == subject


@pytest.mark.parametrize(
    "name", ["enterprise_customer_name", "enterprise_customer_email", "tenant_admin_email", "partner_name"]
)
def test_organisations_are_not_people(vocab: Vocabulary, name: str) -> None:
    assert vocab.classify(name).category is None


@pytest.mark.parametrize(
    "name", ["school_billing_email", "course_lti_passport", "company_hr_email", "site_support_phone"]
)
def test_nearest_thing_owns_a_strong_phrase(vocab: Vocabulary, name: str) -> None:
    assert vocab.classify(name).category is None


def test_bare_passport_needs_a_person(vocab: Vocabulary) -> None:
    assert vocab.classify("passport").category is None  # an LTI passport, an auth library
    assert vocab.classify("lti_passports").category is None
    assert vocab.classify("passport", subject_hint="child").category.id == "government_id"
    assert vocab.classify("child_passport").category.id == "government_id"
    assert vocab.classify("passport_number").category.id == "government_id"


@pytest.mark.parametrize("name", ["user_billing_email", "student_home_email", "enterprise_customer_user_email"])
def test_nearest_person_owns_a_strong_phrase(vocab: Vocabulary, name: str) -> None:
    assert vocab.classify(name).category is not None


@pytest.mark.parametrize(
    "name, expected",
    [
        ("CloudflareBackend", True),
        ("Queue", True),
        ("SiteConfig", True),
        ("EnterpriseCustomer", True),
        ("UserModel", False),  # near miss: a person's model
        ("StudentQueue", False),
        ("SignupForm", False),
        ("Ticket", False),
        ("Student", False),
    ],
)
def test_is_thing(vocab: Vocabulary, name: str, expected: bool) -> None:
    assert vocab.is_thing(name) is expected


@pytest.mark.parametrize(
    "name, expected",
    [
        ("user_settings", True),
        ("parent_config", True),
        ("settings", False),
        ("site_settings", False),
        ("enterprise_customer_configuration", False),
        ("service_account_settings", False),
    ],
)
def test_owner_is_person(vocab: Vocabulary, name: str, expected: bool) -> None:
    assert vocab.owner_is_person(name) is expected
