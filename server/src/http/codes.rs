//! The `code` of every error body the API answers (SPEC §4): clients and tests match on
//! them, so they are a contract. A handler names one of these constants, never a string;
//! `error.rs` decides which status goes with each boundary error.
//!
//! Grouped by the status they usually travel with. A few codes answer with more than one
//! status where the cause differs (a malformed multipart `album_id` is a 400, a malformed
//! JSON one a 422).

// 400: the request cannot be read.
pub const INVALID_JSON: &str = "invalid_json";
pub const INVALID_BODY: &str = "invalid_body";
pub const INVALID_PATH: &str = "invalid_path";
pub const INVALID_QUERY: &str = "invalid_query";
pub const INVALID_MULTIPART: &str = "invalid_multipart";
pub const UNKNOWN_PART: &str = "unknown_part";
pub const NO_FILES: &str = "no_files";
pub const ALBUM_ID_AFTER_FILES: &str = "album_id_after_files";
pub const INVALID_ALBUM_ID: &str = "invalid_album_id";
pub const INVALID_SIZE: &str = "invalid_size";
pub const INVALID_PAGE: &str = "invalid_page";
pub const INVALID_PART: &str = "invalid_part";
pub const UNKNOWN_GROUP: &str = "unknown_group";
pub const NOT_WEBSOCKET: &str = "not_websocket";

// 401: no valid login.
pub const UNAUTHORIZED: &str = "unauthorized";
pub const INVALID_TOKEN: &str = "invalid_token";
pub const INVALID_CREDENTIALS: &str = "invalid_credentials";

// 403: logged in, without the right.
pub const FORBIDDEN: &str = "forbidden";
pub const NOT_A_FRIEND: &str = "not_a_friend";

// 404: nothing there, or nothing the caller may know of.
pub const NOT_FOUND: &str = "not_found";
pub const PHOTO_NOT_FOUND: &str = "photo_not_found";
pub const ALBUM_NOT_FOUND: &str = "album_not_found";
pub const GROUP_NOT_FOUND: &str = "group_not_found";
pub const COMMENT_NOT_FOUND: &str = "comment_not_found";
pub const INVITE_NOT_FOUND: &str = "invite_not_found";
pub const RENDER_NOT_FOUND: &str = "render_not_found";
pub const RENDER_PART_MISSING: &str = "render_part_missing";
pub const PREVIEW_MISSING: &str = "preview_missing";
pub const VERSION_NOT_FOUND: &str = "version_not_found";
pub const ASSET_NOT_FOUND: &str = "asset_not_found";
pub const NO_SUCH_SIZE: &str = "no_such_size";
pub const NO_SUCH_PAGE: &str = "no_such_page";

// 405
pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";

// 409: the state of things refuses the request.
pub const CONFLICT: &str = "conflict";
pub const EMAIL_TAKEN: &str = "email_taken";
pub const UNREADABLE_BOOK: &str = "unreadable_book";

// 410: an invite link that no longer admits anyone.
pub const INVITE_REVOKED: &str = "invite_revoked";
pub const INVITE_EXPIRED: &str = "invite_expired";
pub const INVITE_USED_UP: &str = "invite_used_up";

// 413: too large.
pub const BODY_TOO_LARGE: &str = "body_too_large";
pub const REQUEST_TOO_LARGE: &str = "request_too_large";
pub const FILE_TOO_LARGE: &str = "file_too_large";
pub const COMMENT_TOO_LONG: &str = "comment_too_long";
pub const TOO_MANY_PIXELS: &str = "too_many_pixels";
pub const IMAGE_TOO_LARGE: &str = "image_too_large";

// 415: a media type the endpoint does not take.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
pub const UNRECOGNISED_IMAGE: &str = "unrecognised_image";
pub const UNSUPPORTED_IMAGE_FORMAT: &str = "unsupported_image_format";

// 422: well-formed, but not valid.
pub const INVALID_EMAIL: &str = "invalid_email";
pub const INVALID_NAME: &str = "invalid_name";
pub const WEAK_PASSWORD: &str = "weak_password";
pub const INVALID_ROLE: &str = "invalid_role";
pub const INVALID_THEME: &str = "invalid_theme";
pub const UNKNOWN_PRODUCT: &str = "unknown_product";
pub const INVALID_EXPIRY: &str = "invalid_expiry";
pub const INVALID_MAX_USES: &str = "invalid_max_uses";
pub const INVALID_IDS: &str = "invalid_ids";
pub const INVALID_PROJECT_ID: &str = "invalid_project_id";
pub const INVALID_PHOTO_IDS: &str = "invalid_photo_ids";
pub const INVALID_PAGE_ID: &str = "invalid_page_id";
pub const INVALID_AUTOMIX: &str = "invalid_automix";
pub const EMPTY_ALBUM: &str = "empty_album";
pub const EMPTY_PATCH: &str = "empty_patch";
pub const EMPTY_COMMENT: &str = "empty_comment";
pub const INVALID_REFERENCE: &str = "invalid_reference";
pub const INVALID_PARENT: &str = "invalid_parent";
pub const INVALID_COVER: &str = "invalid_cover";
pub const INVALID_TAG: &str = "invalid_tag";
pub const INVALID_TAGS: &str = "invalid_tags";
pub const INVALID_SIZES: &str = "invalid_sizes";
pub const INVALID_TAKEN_AT: &str = "invalid_taken_at";
pub const INVALID_GPS: &str = "invalid_gps";
pub const INVALID_CAMERA: &str = "invalid_camera";
pub const CORRUPT_IMAGE: &str = "corrupt_image";
/// An upload none of whose files could be used, for different reasons.
pub const NO_PHOTOS_INGESTED: &str = "no_photos_ingested";

// 429: slow down.
pub const RATE_LIMITED: &str = "rate_limited";
pub const TOO_MANY_CONNECTIONS: &str = "too_many_connections";
pub const TOO_MANY_BOOKS_OPEN: &str = "too_many_books_open";

// 5xx: never with details, which go to the log.
pub const INTERNAL: &str = "internal";
/// A version's stored document is missing from blob storage.
pub const VERSION_MISSING: &str = "version_missing";
pub const UNAVAILABLE: &str = "unavailable";
pub const NOT_READY: &str = "not_ready";
/// Blob storage did not answer (a 503, whatever the handler).
pub const BLOB_STORAGE_UNAVAILABLE: &str = "blob_storage_unavailable";
/// A photo of an upload could not be stored (the database or blob storage failed).
pub const STORAGE_UNAVAILABLE: &str = "storage_unavailable";
