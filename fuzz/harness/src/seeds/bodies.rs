//! API body seeds for the JSON target: the documented shapes of each endpoint's body.

use crdt_schema::schema::SYSTEM_USER;
use folio_server::http::bodies::Endpoint;

use crate::book;

pub(super) fn api_seeds() -> Vec<(String, Vec<u8>)> {
    use Endpoint::*;
    let photo = "f0f0f0f0-0000-4000-8000-00000000f0f0";
    let bodies: Vec<(Endpoint, String)> = vec![
        (Signup, r#"{"email":"ann@example.com","name":"Ann","password":"correct horse"}"#.into()),
        (Signup, r#"{"email":"not an email","name":"","password":"short"}"#.into()),
        (Login, r#"{"email":" ann@example.com ","password":"correct horse"}"#.into()),
        (ProjectCreate, r#"{"title":"Summer 2024","product":"square-8x8","theme":"everyday"}"#.into()),
        (ProjectCreate, r#"{"title":"Trip"}"#.into()),
        (ProjectPatch, r#"{"title":"Renamed","product":"landscape-11x8.5","theme":"wedding"}"#.into()),
        (ProjectPatch, r#"{"theme":"../x"}"#.into()),
        (MemberRole, r#"{"role":"editor"}"#.into()),
        (InviteCreate, r#"{"role":"contributor","expires_in_s":86400,"max_uses":5,"email":"cat@example.com"}"#.into()),
        (InviteCreate, r#"{"role":"owner"}"#.into()),
        (NotificationsRead, format!(r#"{{"ids":["{photo}"]}}"#)),
        (WallPost, format!(r#"{{"body":"Lovely page!","page_id":"{}","item_id":"{}","parent_id":null}}"#, book::ALICE_PAGE, book::ALICE_TEXT)),
        (WallEdit, r#"{"body":"  edited  "}"#.into()),
        (PhotoTags, r#"{"tags":["Beach","summer","  Family "]}"#.into()),
        (
            PhotoRemote,
            r#"{"name":"Partner photo","sizes":[{"w":256,"h":171,"url":"https://cdn.example.com/p/256.jpg"},{"w":2048,"h":1365,"url":"https://cdn.example.com/p/2048.jpg"}],"taken_at":"2024-05-30T13:56:01Z","taken_at_offset":"+02:00","gps":{"lat":38.7,"lon":-9.1},"camera":"Pixel 8"}"#.into(),
        ),
        (PhotoRemote, r#"{"name":"Local time","sizes":[{"w":100,"h":100,"url":"http://x.example/1"}],"taken_at":"2024-05-30T15:56:01.250"}"#.into()),
        (AlbumCreate, r#"{"name":"Holidays"}"#.into()),
        (AlbumPatch, format!(r#"{{"name":"Holidays 2024","cover_photo_id":"{photo}"}}"#)),
        (AlbumPatch, r#"{"cover_photo_id":null}"#.into()),
        (AlbumPhotos, format!(r#"{{"photo_ids":["{photo}","{photo}"]}}"#)),
        (Share, format!(r#"{{"photo_ids":["{photo}"],"project_id":"{photo}"}}"#)),
        (PrintSelection, format!(r#"{{"photo_ids":["{photo}"],"name":"Prints"}}"#)),
        (Automix, format!(r#"{{"photo_ids":["{photo}"],"seed":7}}"#)),
        (Automix, format!(r#"{{"page_id":"{}"}}"#, book::AUTO_PAGE)),
        (Automix, format!(r#"{{"album_id":"{photo}"}}"#)),
        (Render, format!(r#"{{"product":"square-12x12","version_id":"{photo}","force":true}}"#)),
        (Render, "{}".into()),
    ];
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, (endpoint, body)) in bodies.iter().enumerate() {
        let slug = endpoint
            .route()
            .split_whitespace()
            .last()
            .unwrap_or("x")
            .trim_start_matches("/api/")
            .replace(['/', '{', '}'], "-");
        out.push((
            format!("{i:02}-{slug}.bin"),
            crate::api::input(*endpoint, body),
        ));
    }
    // The same body with another content type, and broken JSON.
    let mut plain = crate::api::input(Signup, &bodies[0].1);
    plain[1] = 3;
    out.push(("signup-text-plain.bin".into(), plain));
    out.push((
        "login-truncated-json.bin".into(),
        crate::api::input(Login, r#"{"email":"a@b.c","pass"#),
    ));
    out.push((
        "signup-unknown-field.bin".into(),
        crate::api::input(
            Signup,
            r#"{"email":"a@b.c","name":"A","password":"12345678","admin":true}"#,
        ),
    ));
    let _ = SYSTEM_USER;
    out
}
