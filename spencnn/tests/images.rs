//! Image inputs: PNG and idx (gzipped or not) decode to `[0, 1]` tensors; malformed files give
//! typed errors, never panics.

use std::io::Write;

use spencnn::image::{IdxImages, ImageError, load_png, maybe_gunzip, parse_idx_labels};

fn png(width: u32, height: u32, color: png::ColorType, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header().unwrap().write_image_data(pixels).unwrap();
    out
}

fn idx3(count: u32, rows: u32, cols: u32, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 3];
    for d in [count, rows, cols] {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn png_grey_and_colour_decode_to_unit_range() {
    let grey = png(3, 2, png::ColorType::Grayscale, &[0, 51, 255, 102, 153, 204]);
    let t = load_png(&grey, [1, 2, 3]).unwrap();
    assert_eq!(t.shape(), [1, 2, 3]);
    assert_eq!(t.get(0, 0, 2), 1.0);
    assert!((t.get(0, 1, 0) - 0.4).abs() < 1e-12);
    let replicated = load_png(&grey, [3, 2, 3]).unwrap();
    assert_eq!(replicated.get(2, 0, 1), replicated.get(0, 0, 1));
    let rgb = png(1, 1, png::ColorType::Rgb, &[255, 0, 0]);
    assert!((load_png(&rgb, [1, 1, 1]).unwrap().get(0, 0, 0) - 0.299).abs() < 1e-12);
    assert_eq!(load_png(&rgb, [3, 1, 1]).unwrap().data, vec![1.0, 0.0, 0.0]);
}

#[test]
fn malformed_pngs_are_typed_errors() {
    let grey = png(3, 2, png::ColorType::Grayscale, &[0; 6]);
    assert!(matches!(
        load_png(&grey, [1, 28, 28]),
        Err(ImageError::Size { height: 28, width: 28, found_height: 2, found_width: 3 })
    ));
    assert!(matches!(load_png(&grey, [2, 2, 3]), Err(ImageError::Channels { expected: 2 })));
    assert!(matches!(load_png(b"\x89PNG\r\n\x1a\nnot really", [1, 2, 3]), Err(ImageError::Png { .. })));
    assert!(matches!(load_png(&grey[..grey.len() - 20], [1, 2, 3]), Err(ImageError::Png { .. })));
    // A header announcing a huge image is refused before any pixel buffer is allocated.
    let mut huge = png(1, 1, png::ColorType::Grayscale, &[0]);
    huge[16..20].copy_from_slice(&60_000u32.to_be_bytes());
    assert!(load_png(&huge, [1, 28, 28]).is_err());
}

#[test]
fn idx_images_and_labels_plain_and_gzipped() {
    let pixels: Vec<u8> = (0..2 * 2 * 3).map(|i| (i * 20) as u8).collect();
    let file = idx3(2, 2, 3, &pixels);
    for bytes in [file.clone(), gzip(&file)] {
        let images = IdxImages::parse(&bytes).unwrap();
        assert_eq!(images.len(), 2);
        let second = images.image(1, [1, 2, 3]).unwrap();
        assert!((second.get(0, 0, 0) - 120.0 / 255.0).abs() < 1e-12);
    }
    let labels = [0u8, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1];
    assert_eq!(parse_idx_labels(&labels).unwrap(), vec![7, 2, 1]);
    assert_eq!(parse_idx_labels(&gzip(&labels)).unwrap(), vec![7, 2, 1]);
}

#[test]
fn malformed_idx_files_are_typed_errors() {
    let file = idx3(2, 2, 3, &[0; 12]);
    assert!(matches!(IdxImages::parse(&file[..10]), Err(ImageError::Truncated { found: 10 })));
    assert!(matches!(IdxImages::parse(&file[..20]), Err(ImageError::IdxLength { expected: 12, found: 4 })));
    let mut wrong_magic = file.clone();
    wrong_magic[3] = 1;
    assert!(matches!(IdxImages::parse(&wrong_magic), Err(ImageError::IdxMagic { dims: 3, magic: 0x801 })));
    assert!(matches!(parse_idx_labels(&file), Err(ImageError::IdxMagic { dims: 1, .. })));
    // Dimensions whose product overflows are a length error, not an allocation.
    let absurd = idx3(u32::MAX, u32::MAX, u32::MAX, &[0; 4]);
    assert!(matches!(IdxImages::parse(&absurd), Err(ImageError::IdxLength { .. })));
    let images = IdxImages::parse(&file).unwrap();
    assert!(matches!(images.image(2, [1, 2, 3]), Err(ImageError::Index { index: 2, count: 2 })));
    assert!(matches!(images.image(0, [1, 28, 28]), Err(ImageError::Size { .. })));
    let corrupt = gzip(&file);
    let mut corrupt = corrupt[..corrupt.len() / 2].to_vec();
    corrupt.extend_from_slice(&[0xff; 8]);
    assert!(matches!(IdxImages::parse(&corrupt), Err(ImageError::Gzip { .. })));
    assert!(matches!(maybe_gunzip(b"plain"), Ok(std::borrow::Cow::Borrowed(_))));
}

/// `assets/digit-7.png`, the README's `infer --image` example, is bundled test digit 0 (a 7).
#[test]
fn the_bundled_png_is_bundled_digit_zero() {
    let bytes = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/digit-7.png")).unwrap();
    let from_png = load_png(&bytes, [1, 28, 28]).unwrap();
    let (digit, label) = spencnn::bundled::digit(0).unwrap();
    assert_eq!(label, 7);
    assert_eq!(from_png, digit);
}
