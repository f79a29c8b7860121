"""Checking a file before it is attached to a case: is it what it claims, is it safe, what does it carry.

JPEG, PNG and PDF files are recognised by their content, not their name, and must agree with their
name's extension. Images are decoded completely by Pillow (a damaged or truncated one is refused)
under a pixel limit that stops decompression bombs before any pixel is decoded, then written again
without their metadata (EXIF with the GPS position and the phone or camera, XMP, comments, text
chunks); the orientation is kept, and the colour profile. PDFs are parsed by pypdf, and every object
is looked at: JavaScript, launch actions, embedded files and XFA forms are refused. Anything else is
accepted only for kinds that allow any file (`other`).

Pillow and pypdf are imported inside the functions that use them: only `cmtk attach` pays for them.
"""

from __future__ import annotations

import io
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from cmtk.errors import CmtkError

JPEG, PNG, PDF, ANY = "jpeg", "png", "pdf", "any"
MEDIA_TYPES = {JPEG: "image/jpeg", PNG: "image/png", PDF: "application/pdf"}
EXTENSIONS = {".jpg": JPEG, ".jpeg": JPEG, ".jpe": JPEG, ".png": PNG, ".pdf": PDF}
SHOWN = {JPEG: "a JPEG image", PNG: "a PNG image", PDF: "a PDF"}
MAX_PIXELS = 60_000_000  # an A4 page scanned at 600 dpi is 35 million pixels; a phone photo 12 to 50 million
MAX_PDF_OBJECTS = 500_000

# What a PDF may not carry: script, programs to start, files inside it, XFA forms (which hold script).
_PDF_KEYS = {"/JS": "JavaScript", "/JavaScript": "JavaScript", "/EmbeddedFile": "an embedded file",
             "/EmbeddedFiles": "an embedded file", "/XFA": "an XFA form", "/RichMedia": "embedded media"}  # fmt: skip
_PDF_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "a launch action (it starts a program)",
                "/ImportData": "an import action", "/RichMediaExecute": "embedded media",
                "/GoToE": "a jump into an embedded file"}  # fmt: skip

# EXIF tags worth naming when they are removed (the others are removed too, without a name).
_EXIF_NAMES = {
    0x8825: "GPS position",
    0x010F: "camera or phone make",
    0x0110: "camera or phone model",
    0xA431: "camera serial number",
    0xA434: "lens",
    0x0131: "software",
    0x0132: "date and time",
    0x013B: "author",
    0x8298: "copyright",
    0xA420: "image id",
    0x9C9D: "author",
}
_KEEP_INFO = {"dpi", "icc_profile", "progressive", "progression", "jfif", "jfif_version", "jfif_density", "jfif_unit",
              "adobe", "adobe_transform", "transparency", "gamma", "srgb"}  # fmt: skip
_EXTENSION = re.compile(r"^\.[a-z0-9]{1,8}$")


@dataclass(frozen=True)
class Checked:
    """A file that may be attached: its content as stored (images without metadata) and what it is."""

    data: bytes
    type: str  # jpeg, png, pdf, or any
    media_type: str
    extension: str  # without the dot, for the file `attachment get` suggests
    removed: tuple[str, ...] = ()  # metadata taken out of an image, named for the user
    pages: int | None = None
    width: int | None = None
    height: int | None = None


def sniff(data: bytes) -> str | None:
    """jpeg, png or pdf by content; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def read_file(path: Path, limit: int) -> bytes:
    """The file's bytes; one clear line for a missing, unreadable, empty or oversized one."""
    shown = str(path)
    if not path.exists():
        raise CmtkError.of("scan-not-found", shown=shown)
    if path.is_dir():
        raise CmtkError.of("scan-is-folder", shown=shown)
    if not path.is_file():
        raise CmtkError.of("scan-not-regular", shown=shown)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise CmtkError.of("scan-unreadable", shown=shown, strerror=error.strerror) from None
    if not data:
        raise CmtkError.of("scan-empty", shown=shown)
    if len(data) > limit:
        size = os.path.getsize(path)
        raise CmtkError.of("scan-too-large", shown=shown, megabytes=megabytes(size), megabytes2=megabytes(limit))
    return data


def megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def check(path: Path, data: bytes, allowed: tuple[str, ...], kind: str) -> Checked:
    """Recognise, check and clean one file for an attachment of `kind`, which allows the types `allowed`."""
    shown = str(path)
    claimed = EXTENSIONS.get(path.suffix.lower())
    found = sniff(data)
    if claimed and found != claimed:
        what = f"it is {SHOWN[found]}" if found else "its content is something else, or it is damaged"
        raise CmtkError.of("scan-type-mismatch", shown=shown, suffix=path.suffix, shown2=SHOWN[claimed], what=what)
    if found is None:
        if ANY not in allowed:
            raise CmtkError.of("scan-format", shown=shown, kind=kind)
        extension = path.suffix.lower() if _EXTENSION.match(path.suffix.lower()) else ".bin"
        return Checked(data, ANY, "application/octet-stream", extension[1:])
    if found not in allowed and ANY not in allowed:
        names = " or ".join(SHOWN[t].split(" ", 1)[1] for t in allowed)
        raise CmtkError.of("scan-type-not-allowed", shown=shown, shown2=SHOWN[found], kind=kind, names=names)
    if found == PDF:
        return check_pdf(data, shown)
    return clean_image(data, found, shown)


# -- images ------------------------------------------------------------------------------------


def clean_image(data: bytes, kind: str, shown: str) -> Checked:
    """Take the metadata out (losslessly: the picture's own bytes are kept as they are), then decode
    the whole image that is left, under the pixel limit: a damaged or cut-short one is refused."""
    import warnings

    from PIL import Image, ImageFile  # Pillow: only `cmtk attach` needs it

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # WeasyPrint, once imported, sets it for the whole process
    bomb = CmtkError.of("image-too-many-pixels", shown=shown, max_pixels=MAX_PIXELS // 1000000)
    damaged = CmtkError.of("image-damaged", shown=shown)
    formats = ["JPEG" if kind == JPEG else "PNG"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            original = Image.open(io.BytesIO(data), formats=formats)  # the header only: nothing decoded yet
            width, height = original.size
            if width * height > MAX_PIXELS:
                raise bomb
            removed = _metadata_names(original)
            orientation = original.getexif().get(0x0112)
            cleaned = _strip_jpeg(data, orientation) if kind == JPEG else _strip_png(data)
            image = Image.open(io.BytesIO(cleaned), formats=formats)
            image.load()
        except CmtkError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise bomb from None
        except (OSError, ValueError, SyntaxError, EOFError, IndexError, struct.error):
            raise damaged from None
    left = {k: v for k, v in image.getexif().items() if k != 0x0112}
    if left or image.info.get("comment") or "xmp" in image.info or image.size != (width, height):
        raise CmtkError.of("scan-metadata-not-removed", shown=shown)
    extension = "jpg" if kind == JPEG else "png"
    return Checked(cleaned, kind, MEDIA_TYPES[kind], extension, removed, None, width, height)


# JPEG segments kept: JFIF (APP0), the colour profile (APP2 "ICC_PROFILE"), Adobe's colour transform
# (APP14), and everything that is the picture itself. Dropped: EXIF and XMP (APP1), IPTC (APP13),
# comments (COM) and every other application segment.
_KEEP_APP = {0xE0: b"JFIF", 0xE2: b"ICC_PROFILE\0", 0xEE: b"Adobe"}


def _strip_jpeg(data: bytes, orientation: int | None) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("no SOI")
    out = [data[:2]]
    if orientation and orientation != 1:  # kept so the photo still shows the right way up
        out.append(_orientation_segment(orientation))
    pos = 2
    while True:
        while pos < len(data) and data[pos] == 0xFF and pos + 1 < len(data) and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise ValueError("bad marker")
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: the picture data, kept up to its end (EOI) and not beyond
            out.append(data[pos : _end_of_image(data, pos)])
            return b"".join(out)
        if marker in (0x01, *range(0xD0, 0xD8)):
            out.append(data[pos : pos + 2])
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if length < 2 or pos + 2 + length > len(data):
            raise ValueError("bad segment length")
        segment = data[pos : pos + 2 + length]
        pos += 2 + length
        if marker == 0xFE or (0xE0 <= marker <= 0xEF and not segment[4:].startswith(_KEEP_APP.get(marker, b"\xff"))):
            continue
        out.append(segment)


def _end_of_image(data: bytes, pos: int) -> int:
    """Where the picture that starts scanning at `pos` ends (after its EOI marker). Whatever a camera
    appends after it (more pictures, maker data) is left out."""
    while pos + 2 <= len(data):
        marker = data[pos + 1]
        if data[pos] != 0xFF:
            raise ValueError("bad marker")
        if marker == 0xD9:
            return pos + 2
        if pos + 4 > len(data):
            break
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            pos += 2
            continue
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker == 0xDA:  # entropy-coded data: up to the next marker that is not stuffing or a restart
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= len(data):
                    raise ValueError("cut short")
                if data[pos + 1] == 0x00 or 0xD0 <= data[pos + 1] <= 0xD7:
                    pos += 2
                    continue
                break
    raise ValueError("cut short")


def _orientation_segment(orientation: int) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    body = exif.tobytes()  # starts with the "Exif\0\0" header an APP1 segment needs
    if not body.startswith(b"Exif\0\0"):
        body = b"Exif\0\0" + body
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


# PNG chunks dropped: text (tEXt, zTXt, iTXt), EXIF (eXIf) and the time it was last changed (tIME).
_DROP_PNG = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def _strip_png(data: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("no PNG signature")
    out, pos = [data[:8]], 8
    while pos + 12 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise ValueError("chunk cut short")
        if kind not in _DROP_PNG:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            return b"".join(out)
    raise ValueError("no IEND")


def _metadata_names(image) -> tuple[str, ...]:
    """What the image carries that says where, when, with what or by whom it was made."""
    found: list[str] = []
    exif = image.getexif()
    for tag, name in _EXIF_NAMES.items():
        if tag in exif and name not in found:
            found.append(name)
    try:
        details = exif.get_ifd(0x8769)  # the EXIF sub-directory: date taken, serial numbers
    except (KeyError, ValueError, TypeError):
        details = {}
    if any(tag in details for tag in (0x9003, 0x9004)) and "date and time" not in found:
        found.append("date and time")
    if 0xA431 in details and "camera serial number" not in found:
        found.append("camera serial number")
    if exif and not found:
        found.append("camera settings")
    info = image.info
    if "xmp" in info or "XML:com.adobe.xmp" in info:
        found.append("XMP data")
    if info.get("comment"):
        found.append("a comment")
    texts = [k for k in info if k not in _KEEP_INFO and k not in ("exif", "xmp", "comment", "XML:com.adobe.xmp")]
    if image.format == "PNG" and texts:
        found.append("text notes")
    if "photoshop" in info or any(isinstance(k, str) and k.startswith("iptc") for k in info):
        found.append("IPTC data")
    return tuple(found)


# -- PDF ----------------------------------------------------------------------------------------


def check_pdf(data: bytes, shown: str) -> Checked:
    """A PDF pypdf can read, with no script, launch action, embedded file or XFA form in any object."""
    import logging

    from pypdf import PdfReader  # only `cmtk attach` and `cmtk case print` need it
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # its warnings about sloppy files are not the user's
    damaged = CmtkError.of("pdf-damaged", shown=shown)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise CmtkError.of("scan-password-protected", shown=shown)
        pages = len(reader.pages)
        problem = _pdf_danger(reader)
    except CmtkError:
        raise
    except (FileNotDecryptedError, NotImplementedError):
        raise CmtkError.of("scan-encrypted", shown=shown) from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise damaged from None
    except Exception:  # noqa: BLE001 - pypdf raises many kinds on hostile input; all mean "not a PDF we accept"
        raise damaged from None
    if problem:
        raise CmtkError.of("pdf-active-content", shown=shown, problem=problem)
    if pages < 1:
        raise damaged
    return Checked(data, PDF, MEDIA_TYPES[PDF], "pdf", (), pages)


def _pdf_danger(reader) -> str | None:
    """The first dangerous thing found in any object of the PDF (followed from the trailer, and every
    object the cross-reference table lists, reachable or not)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    stack: list = [reader.trailer]
    for generation, numbers in reader.xref.items():
        stack += [IndirectObject(number, generation, reader) for number in numbers]
    stack += [IndirectObject(number, 0, reader) for number in getattr(reader, "xref_objStm", {})]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            return "more objects than any scan has"
        if isinstance(item, DictionaryObject):
            for name, value in item.items():
                if name in _PDF_KEYS:
                    return _PDF_KEYS[name]
                if name == "/S" and str(value) in _PDF_ACTIONS:
                    return _PDF_ACTIONS[str(value)]
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None
