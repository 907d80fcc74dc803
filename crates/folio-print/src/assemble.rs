//! One PDF file from many small ones, written as they come (SPEC §11: memory stays bounded
//! whatever the page count).
//!
//! krilla holds a document's images until it finishes and returns the whole file as one
//! buffer, so a book rendered as one krilla document would need memory in proportion to its
//! pages. The renderer instead writes a book a few pages at a time, each run its own small
//! krilla document (a *part*), and hands each part to an [`Assembler`]. The assembler parses the
//! part (lopdf), keeps what its pages use, gives those objects fresh numbers after the ones
//! already written, and writes them straight to the output. Only one part is ever in memory.
//! At the end it writes the one page tree, the catalog (with the output intent of the
//! [`OutputProfile`]), the cross-reference table and the trailer.
//!
//! What a part's pages use is found by following references from each page, except its
//! `/Parent` (which would lead back to the part's own page tree). A page inherits nothing
//! from its part's tree: attributes a PDF page may inherit (`Resources`, `MediaBox`,
//! `CropBox`, `Rotate`) are copied onto the page first when the page lacks them.
//!
//! Parts are independent, so a font used on every page is embedded (subset) once per part;
//! the renderer keeps parts a few pages long, which keeps that cost small. The output is a
//! function of the parts' bytes only, so the same parts make the same file byte for byte
//! (the trailer's `/ID` is a hash of everything written before it).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};

/// The page tree's object number in the assembled file.
const PAGES: u32 = 1;
/// The catalog's.
const CATALOG: u32 = 2;
/// Page attributes a page may inherit from its page tree (PDF 1.7, 7.7.3.4).
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// The colour condition a print file is made for: its output intent (PDF 1.7, 14.11.5).
///
/// Every render today is for sRGB: the RGB photos and colours are written as they are, and
/// the intent tells the printer's RIP what they mean. A printer that wants CMYK gets a
/// profile of its own here (its ICC profile, `components: 4` and its condition name), with
/// the conversion added to the renderer; nothing else about the file changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputProfile {
    /// The profile's short name, as a render names it.
    pub id: &'static str,
    /// `OutputConditionIdentifier`: the printing condition, by its registered name.
    pub condition: &'static str,
    /// `RegistryName`: where the condition is registered.
    pub registry: &'static str,
    /// The ICC profile (`DestOutputProfile`).
    pub icc: &'static [u8],
    /// Colour components of the profile's space: 3 for RGB, 4 for CMYK.
    pub components: u8,
}

impl OutputProfile {
    /// sRGB IEC 61966-2.1. The profile is icc-profiles-free's `sRGB.icc` (zlib licence, see
    /// `assets/icc/`).
    pub const SRGB: OutputProfile = OutputProfile {
        id: "srgb",
        condition: "sRGB IEC61966-2.1",
        registry: "http://www.color.org",
        icc: include_bytes!("../../../assets/icc/sRGB.icc"),
        components: 3,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error("a rendered part could not be read back: {0}")]
    Part(String),
    #[error("writing the PDF failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes parts into one PDF; see the module documentation.
pub struct Assembler<W: Write> {
    out: W,
    /// Bytes written so far: the next object's offset.
    written: u64,
    hash: Sha256,
    /// Offsets of objects 1.. (0 where a number is unused).
    offsets: Vec<u64>,
    /// The pages, in order.
    kids: Vec<u32>,
    /// The first part's document information dictionary, renumbered.
    info: Option<u32>,
    profile: OutputProfile,
}

impl<W: Write> Assembler<W> {
    /// Starts a PDF 1.7 file on `out`, for printing under `profile`.
    pub fn new(out: W, profile: OutputProfile) -> Result<Assembler<W>, AssembleError> {
        let mut assembler = Assembler {
            out,
            written: 0,
            hash: Sha256::new(),
            offsets: vec![0; CATALOG as usize + 1],
            kids: Vec::new(),
            info: None,
            profile,
        };
        // The binary comment marks the file as binary for transfer tools (PDF 1.7, 7.5.2).
        assembler.emit(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")?;
        Ok(assembler)
    }

    /// Pages written so far.
    pub fn pages(&self) -> usize {
        self.kids.len()
    }

    /// Appends every page of `part`, a whole PDF file, in its order. Returns how many pages
    /// it had.
    pub fn append(&mut self, part: &[u8]) -> Result<usize, AssembleError> {
        let bad = |e: lopdf::Error| AssembleError::Part(e.to_string());
        let mut doc = lopdf::Document::load_mem(part).map_err(bad)?;
        let pages: Vec<ObjectId> = doc.page_iter().collect();
        for &page in &pages {
            let inherited = inherited_attributes(&doc, page);
            let dict = doc.get_dictionary_mut(page).map_err(bad)?;
            for (key, value) in inherited {
                dict.set(key, value);
            }
        }
        let info = if self.info.is_none() {
            doc.trailer
                .get(b"Info")
                .ok()
                .and_then(|o| o.as_reference().ok())
        } else {
            None
        };

        // Number what the pages (and the first part's info) use, in the order first reached.
        let mut numbers: HashMap<ObjectId, u32> = HashMap::new();
        let mut order: Vec<ObjectId> = Vec::new();
        let mut next = self.offsets.len() as u32;
        let mut stack: Vec<ObjectId> = pages.iter().copied().chain(info).rev().collect();
        while let Some(id) = stack.pop() {
            if numbers.contains_key(&id) {
                continue;
            }
            let Some(object) = doc.objects.get(&id) else {
                continue;
            };
            numbers.insert(id, next);
            next += 1;
            order.push(id);
            let mut refs = Vec::new();
            references(object, &mut refs, true);
            stack.extend(refs.into_iter().rev());
        }

        for id in &order {
            let mut object = doc.objects.remove(id).expect("reached objects exist");
            renumber(&mut object, &numbers);
            if pages.contains(id) {
                if let Object::Dictionary(dict) = &mut object {
                    dict.set("Parent", Object::Reference((PAGES, 0)));
                }
            }
            self.write_object(numbers[id], &object)?;
        }
        self.kids.extend(pages.iter().map(|p| numbers[p]));
        if let Some(info) = info {
            self.info = numbers.get(&info).copied();
        }
        Ok(pages.len())
    }

    /// Writes the page tree, the catalog with its output intent, the cross-reference table and
    /// the trailer, and gives the output back.
    pub fn finish(mut self) -> Result<W, AssembleError> {
        let profile = self.profile;
        let icc_id = self.next_number();
        let mut icc = Stream::new(
            Dictionary::from_iter([("N", Object::Integer(profile.components.into()))]),
            profile.icc.to_vec(),
        );
        icc.allows_compression = false;
        self.write_object(icc_id, &Object::Stream(icc))?;

        let kids: Vec<Object> = self
            .kids
            .iter()
            .map(|k| Object::Reference((*k, 0)))
            .collect();
        let pages = Dictionary::from_iter([
            ("Type", Object::Name(b"Pages".to_vec())),
            ("Count", Object::Integer(kids.len() as i64)),
            ("Kids", Object::Array(kids)),
        ]);
        self.offsets[PAGES as usize] = self.written;
        self.write_at(PAGES, &Object::Dictionary(pages))?;

        let intent = Dictionary::from_iter([
            ("Type", Object::Name(b"OutputIntent".to_vec())),
            // GTS_PDFX: the intent a prepress workflow reads.
            ("S", Object::Name(b"GTS_PDFX".to_vec())),
            ("OutputConditionIdentifier", text(profile.condition)),
            ("RegistryName", text(profile.registry)),
            ("Info", text(profile.condition)),
            ("DestOutputProfile", Object::Reference((icc_id, 0))),
        ]);
        let catalog = Dictionary::from_iter([
            ("Type", Object::Name(b"Catalog".to_vec())),
            ("Pages", Object::Reference((PAGES, 0))),
            (
                "OutputIntents",
                Object::Array(vec![Object::Dictionary(intent)]),
            ),
        ]);
        self.offsets[CATALOG as usize] = self.written;
        self.write_at(CATALOG, &Object::Dictionary(catalog))?;

        let xref_at = self.written;
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", self.offsets.len());
        for offset in &self.offsets[1..] {
            if *offset == 0 {
                table.push_str("0000000000 65535 f \n");
            } else {
                table.push_str(&format!("{offset:010} 00000 n \n"));
            }
        }
        self.emit(table.as_bytes())?;
        let id = hex(&self.hash.clone().finalize()[..16]);
        let info = self
            .info
            .map(|i| format!(" /Info {i} 0 R"))
            .unwrap_or_default();
        let trailer = format!(
            "trailer\n<< /Size {} /Root {CATALOG} 0 R{info} /ID [<{id}> <{id}>] >>\nstartxref\n{xref_at}\n%%EOF\n",
            self.offsets.len()
        );
        self.emit(trailer.as_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn next_number(&mut self) -> u32 {
        self.offsets.push(0);
        (self.offsets.len() - 1) as u32
    }

    fn write_object(&mut self, number: u32, object: &Object) -> Result<(), AssembleError> {
        while self.offsets.len() <= number as usize {
            self.offsets.push(0);
        }
        self.offsets[number as usize] = self.written;
        self.write_at(number, object)
    }

    fn write_at(&mut self, number: u32, object: &Object) -> Result<(), AssembleError> {
        let mut body = Vec::new();
        body.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        if lopdf::Writer::need_separator(object) {
            body.push(b' ');
        }
        lopdf::Writer::write_object(&mut body, object)
            .map_err(|e| AssembleError::Part(e.to_string()))?;
        if lopdf::Writer::need_end_separator(object) {
            body.push(b' ');
        }
        body.extend_from_slice(b"\nendobj\n");
        self.emit(&body)
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<(), AssembleError> {
        self.out.write_all(bytes)?;
        self.hash.update(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }
}

/// The attributes `page` inherits from its ancestors and does not set itself.
fn inherited_attributes(doc: &lopdf::Document, page: ObjectId) -> Vec<(Vec<u8>, Object)> {
    let Ok(dict) = doc.get_dictionary(page) else {
        return Vec::new();
    };
    let mut found: BTreeMap<Vec<u8>, Object> = BTreeMap::new();
    let mut parent = dict.get(b"Parent").and_then(Object::as_reference).ok();
    // Page trees are shallow; the bound only stops a malformed cycle.
    for _ in 0..64 {
        let Some(node) = parent.and_then(|p| doc.get_dictionary(p).ok()) else {
            break;
        };
        for key in INHERITED {
            if !dict.has(key) && !found.contains_key(key) {
                if let Ok(value) = node.get(key) {
                    found.insert(key.to_vec(), value.clone());
                }
            }
        }
        parent = node.get(b"Parent").and_then(Object::as_reference).ok();
    }
    found.into_iter().collect()
}

/// The objects `object` refers to, in order; a dictionary's `/Parent` is left out when
/// `skip_parent`.
fn references(object: &Object, out: &mut Vec<ObjectId>, skip_parent: bool) {
    match object {
        Object::Reference(id) => out.push(*id),
        Object::Array(items) => items.iter().for_each(|o| references(o, out, skip_parent)),
        Object::Dictionary(dict) => dict_references(dict, out, skip_parent),
        Object::Stream(stream) => dict_references(&stream.dict, out, skip_parent),
        _ => {}
    }
}

fn dict_references(dict: &Dictionary, out: &mut Vec<ObjectId>, skip_parent: bool) {
    for (key, value) in dict.iter() {
        if !(skip_parent && key == b"Parent") {
            references(value, out, skip_parent);
        }
    }
}

/// Points every reference in `object` at its new number; a reference to an object that was
/// not kept becomes `null`, as a reference to a missing object reads (PDF 1.7, 7.3.10).
fn renumber(object: &mut Object, numbers: &HashMap<ObjectId, u32>) {
    match object {
        Object::Reference(id) => {
            *object = match numbers.get(id) {
                Some(n) => Object::Reference((*n, 0)),
                None => Object::Null,
            }
        }
        Object::Array(items) => items.iter_mut().for_each(|o| renumber(o, numbers)),
        Object::Dictionary(dict) => dict.iter_mut().for_each(|(_, o)| renumber(o, numbers)),
        Object::Stream(stream) => stream
            .dict
            .iter_mut()
            .for_each(|(_, o)| renumber(o, numbers)),
        _ => {}
    }
}

fn text(s: &str) -> Object {
    Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
