//! Rules 1 to 3 on values: each key of the meta, a page, an item and a style has the schema's
//! type, range and size.

use super::*;

fn one_value<'a>(content: &'a Content, key: &str) -> Result<Option<&'a Any>, Rejection> {
    match content {
        Content::Any(v) if v.len() == 1 => Ok(Some(&v[0])),
        Content::Any(_) => Err(type_err(format!("'{key}' must hold exactly one value"))),
        Content::Type(_) => Ok(None),
        Content::String { .. } => Err(type_err(format!(
            "'{key}' holds a text fragment where a value was expected"
        ))),
        Content::Deleted => Ok(None),
        Content::Other(what) => Err(type_err(format!(
            "'{key}' holds {what}, which a book does not use"
        ))),
    }
}

fn want_string(v: Option<&Any>, key: &str, max: usize) -> Result<(), Rejection> {
    match v {
        Some(Any::String(s)) if s.len() <= max => Ok(()),
        Some(Any::String(_)) => Err(size_err(format!("'{key}' is longer than {max} bytes"))),
        _ => Err(type_err(format!("'{key}' must be a string"))),
    }
}

fn want_string_or_null(v: Option<&Any>, key: &str) -> Result<(), Rejection> {
    match v {
        Some(Any::Null) => Ok(()),
        other => want_string(other, key, schema::MAX_STRING_BYTES),
    }
}

fn want_one_of(v: Option<&Any>, key: &str, allowed: &[&str]) -> Result<(), Rejection> {
    match v {
        Some(Any::String(s)) if allowed.contains(&&**s) => Ok(()),
        _ => Err(type_err(format!(
            "'{key}' must be one of {}",
            allowed.join(", ")
        ))),
    }
}

fn number(v: &Any) -> Option<f64> {
    match v {
        Any::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn want_finite(v: Option<&Any>, key: &str) -> Result<f64, Rejection> {
    match v.and_then(number) {
        Some(x) if x.is_finite() => Ok(x),
        _ => Err(type_err(format!("'{key}' must be a finite number"))),
    }
}

fn want_bool(v: Option<&Any>, key: &str) -> Result<(), Rejection> {
    match v {
        Some(Any::Bool(_)) => Ok(()),
        _ => Err(type_err(format!("'{key}' must be true or false"))),
    }
}

fn want_type(content: &Content, ty: TypeKind, key: &str) -> Result<(), Rejection> {
    match content {
        Content::Type(t) if *t == ty => Ok(()),
        _ => Err(type_err(format!("'{key}' must be a {}", type_name(ty)))),
    }
}

pub(super) fn check_meta_value(key: &str, content: &Content) -> Result<(), Rejection> {
    if !meta::ALL.contains(&key) {
        return Err(schema_err(format!("meta has no field '{key}'")));
    }
    let v = one_value(content, key)?;
    match key {
        meta::SCHEMA => match v.and_then(number) {
            Some(x) if x == schema::SCHEMA_VERSION as f64 => Ok(()),
            _ => Err(type_err(format!(
                "meta.schema must be {}",
                schema::SCHEMA_VERSION
            ))),
        },
        _ => want_string(v, key, schema::MAX_STRING_BYTES),
    }
}

pub(super) fn check_page_value(key: &str, content: &Content) -> Result<(), Rejection> {
    if !page::ALL.contains(&key) {
        return Err(schema_err(format!("a page has no field '{key}'")));
    }
    if key == page::ITEMS {
        return want_type(content, TypeKind::Map, key);
    }
    let v = one_value(content, key)?;
    match key {
        page::ID | page::CREATED_BY => want_string(v, key, 128),
        page::KIND => want_one_of(v, key, &page::KINDS),
        page::LAYOUT => want_string_or_null(v, key),
        page::AUTO => want_bool(v, key),
        page::BACKGROUND => match v {
            Some(Any::Null) => Ok(()),
            Some(Any::Map(m)) => {
                for (k, x) in m.iter() {
                    match k.as_str() {
                        "color" | "asset" => want_string_or_null(Some(x), k)?,
                        "flip" => want_bool(Some(x), k)?,
                        other => {
                            return Err(schema_err(format!(
                                "a page background has no field '{other}'"
                            )))
                        }
                    }
                }
                Ok(())
            }
            _ => Err(type_err(
                "'background' must be an object {color?, asset?, flip}",
            )),
        },
        _ => Ok(()),
    }
}

pub(super) fn check_item_value(key: &str, content: &Content) -> Result<(), Rejection> {
    if !item::ALL.contains(&key) {
        return Err(schema_err(format!("an item has no field '{key}'")));
    }
    if key == item::TEXT {
        return want_type(content, TypeKind::Text, key);
    }
    let v = one_value(content, key)?;
    match key {
        item::ID | item::CREATED_BY => want_string(v, key, 128),
        item::KIND => want_one_of(v, key, &item::KINDS),
        item::BOX => check_box(v),
        item::Z => want_finite(v, key).map(|_| ()),
        item::SLOT => match v {
            Some(Any::Null) => Ok(()),
            other => match other.and_then(number) {
                Some(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 1000.0 => Ok(()),
                _ => Err(type_err("'slot' must be a slot index or null")),
            },
        },
        item::PHOTO => match v {
            Some(Any::Null) => Ok(()),
            Some(Any::Map(m)) => {
                for (k, x) in m.iter() {
                    match k.as_str() {
                        "id" => want_string(Some(x), "photo.id", 128)?,
                        "zoom" => {
                            let z = want_finite(Some(x), "photo.zoom")?;
                            if !(z > 0.0 && z <= 100.0) {
                                return Err(type_err(
                                    "'photo.zoom' must be above 0 and at most 100",
                                ));
                            }
                        }
                        "pan" => check_numbers(Some(x), "photo.pan", 2, |_| 10.0)?,
                        other => {
                            return Err(schema_err(format!(
                                "a photo reference has no field '{other}'"
                            )))
                        }
                    }
                }
                if !m.contains_key("id") {
                    return Err(type_err("a photo reference needs an 'id'"));
                }
                Ok(())
            }
            _ => Err(type_err(
                "'photo' must be an object {id, pan, zoom} or null",
            )),
        },
        item::STYLE => match v {
            Some(Any::Null) => Ok(()),
            Some(Any::Map(m)) => {
                for (k, x) in m.iter() {
                    check_style_value(k, x)?;
                }
                Ok(())
            }
            _ => Err(type_err("'style' must be an object")),
        },
        _ => Ok(()),
    }
}

/// A `box` is `[x, y, w, h, rot]`: five finite numbers, the first four within ±10 and `rot`
/// within ±360 degrees (rule 2).
fn check_box(v: Option<&Any>) -> Result<(), Rejection> {
    check_numbers(v, "box", 5, schema::box_limit)
}

/// `n` finite numbers, the `i`th within ±`limit(i)`.
fn check_numbers(
    v: Option<&Any>,
    key: &str,
    n: usize,
    limit: impl Fn(usize) -> f64,
) -> Result<(), Rejection> {
    let Some(Any::Array(xs)) = v else {
        return Err(type_err(format!("'{key}' must be an array of {n} numbers")));
    };
    if xs.len() != n {
        return Err(type_err(format!("'{key}' must have exactly {n} numbers")));
    }
    for (i, x) in xs.iter().enumerate() {
        let limit = limit(i);
        match number(x) {
            Some(f) if f.is_finite() && f.abs() <= limit => {}
            Some(f) if f.is_finite() && n == 5 && i == 4 => {
                return Err(type_err(format!(
                    "'{key}' rotation must lie within ±{limit} degrees"
                )))
            }
            Some(f) if f.is_finite() => {
                return Err(type_err(format!("'{key}' values must lie within ±{limit}")))
            }
            _ => return Err(type_err(format!("'{key}' values must be finite numbers"))),
        }
    }
    Ok(())
}

/// One field of an item's `style`, typed as the model reads it (`model::read`), so that no
/// accepted update leaves a book that does not read. Null means "the theme's default".
fn check_style_value(key: &str, v: &Any) -> Result<(), Rejection> {
    if matches!(v, Any::Null) {
        return if item::STYLE_KEYS.contains(&key) {
            Ok(())
        } else {
            Err(schema_err(format!("a style has no field '{key}'")))
        };
    }
    let field = format!("style.{key}");
    match key {
        "font" | "color" | "frame" => want_string(Some(v), &field, schema::MAX_STRING_BYTES),
        "size" | "opacity" => want_finite(Some(v), &field).map(|_| ()),
        "shadow" => want_bool(Some(v), &field),
        "align" => want_one_of(Some(v), &field, &["left", "center", "right", "justify"]),
        "border" => match v {
            Any::Map(m) => {
                for (k, x) in m.iter() {
                    match k.as_str() {
                        "width" => {
                            want_finite(Some(x), "style.border.width")?;
                        }
                        "color" => {
                            want_string(Some(x), "style.border.color", schema::MAX_STRING_BYTES)?
                        }
                        other => {
                            return Err(schema_err(format!(
                                "a style's border has no field '{other}'"
                            )))
                        }
                    }
                }
                for required in ["width", "color"] {
                    if !m.contains_key(required) {
                        return Err(type_err(format!("'style.border' needs a '{required}'")));
                    }
                }
                Ok(())
            }
            _ => Err(type_err("'style.border' must be an object {width, color}")),
        },
        other => Err(schema_err(format!("a style has no field '{other}'"))),
    }
}
