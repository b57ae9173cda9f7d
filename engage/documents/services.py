"""Attaching documents to a case: checked, cleaned of metadata, encrypted (R30).

The type is decided by the file's own bytes, not its name: PDF, JPEG or PNG only. Images are
re-encoded from their pixels with Pillow, which drops EXIF (GPS position, camera, date) and
any other metadata; PDFs are rewritten by pypdf without their document information and XMP
metadata, and without those of every object they hold: an image's or a form's XMP, and a
JPEG image's EXIF, XMP, IPTC and comments, taken out of its bytes without touching its pixels
(`lib.jpeg`). Size and count are limited per file and per case.

A case worker deletes a document only when nothing keeps it (`keeping`: a case no longer open,
the PDF of a letter sent); erasure and retention delete it whatever it was.
"""

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    EncodedStreamObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

from engage.accounts.models import User
from engage.audit.models import AuditEvent
from engage.audit.services import record
from engage.cases import workflow
from engage.cases.models import Case, Person
from engage.documents import keeping, storage
from engage.documents.models import Document
from engage.lib import encrypted_files, images, jpeg

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"


def sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _clean_image(data: bytes, content_type: str) -> bytes:
    try:
        with images.open_image(data) as image:
            images.load(image)
            # A new image from the pixels alone: no EXIF, no text chunks, no ICC comments.
            pixels = Image.new(image.mode, image.size)
            pixels.paste(image)
            if image.mode == "P" and (palette := image.getpalette()):
                pixels.putpalette(palette)
    except images.ImageTooLarge as error:
        raise ValidationError({"file": str(error)}) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError({"file": _("This image cannot be read.")}) from None
    out = BytesIO()
    pixels.save(out, format="JPEG" if content_type == JPEG else "PNG")
    return out.getvalue()


# What a page of an attached PDF loses: its own metadata (XMP, an application's private data)
# and the actions run when it opens or closes. The document's own (its catalogue: /OpenAction,
# /Names' scripts, its XMP) never reach the copy, which takes the pages alone.
PAGE_KEYS_DROPPED = ("/Metadata", "/PieceInfo", "/AA")
# Actions an annotation (a link, a form field) may run: a script, a program, a form sent
# away, data read in, or a file opened elsewhere (another PDF on a share, one embedded). A
# link to a web address stays: it is the document's content; the actions it would chain after
# it (`/Next`) do not.
ACTIONS_DROPPED = {
    "/JavaScript",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/Rendition",
    "/GoToR",
    "/GoToE",
}
# Annotations that carry a file or media of their own: it would pass the type check and keep
# its metadata (a program, a photo with its GPS position). They go whole.
ANNOTATIONS_DROPPED = {"/FileAttachment", "/RichMedia", "/Sound", "/Movie", "/Screen", "/3D"}
# A damaged or hostile file makes pypdf raise more than its own PdfReadError: a limit it
# reached (LimitReachedError, a 40-byte file declaring 99,999,999 objects), or a structure it
# did not expect. Each is a file that cannot be read, said next to the field.
UNREADABLE_PDF = (PyPdfError, ValueError, KeyError, IndexError, TypeError, RecursionError)


def _without_actions(page: PageObject) -> None:
    for key in PAGE_KEYS_DROPPED:
        page.pop(NameObject(key), None)
    annotations = page.get("/Annots")
    if annotations is None:
        return
    if not isinstance(annotations.get_object(), ArrayObject):
        # No list of annotations (a reader shows none), but what it refers to is still copied.
        del page[NameObject("/Annots")]
        return
    listed = annotations.get_object()
    for index in reversed(range(len(listed))):
        annotation = listed[index].get_object()
        if not isinstance(annotation, DictionaryObject):
            continue  # an empty slot (null) or a stray value: nothing a reader runs
        if annotation.get("/Subtype") in ANNOTATIONS_DROPPED:
            del listed[index]
            continue
        annotation.pop(NameObject("/AA"), None)
        action = annotation.get("/A")
        if action is None:
            continue
        action = action.get_object()
        if not isinstance(action, DictionaryObject) or action.get("/S") in ACTIONS_DROPPED:
            del annotation[NameObject("/A")]
        else:
            action.pop(NameObject("/Next"), None)


# What no object of the copy keeps: its XMP (an image's, a form's, a font's) and an
# application's private data.
OBJECT_KEYS_DROPPED = ("/Metadata", "/PieceInfo")
DCT = ("/DCTDecode", "/DCT")


def _without_object_metadata(writer: PdfWriter) -> None:
    """Take the metadata out of every object the copy holds, and the objects only it named.

    The pages' objects are copied whole, each image with its own XMP and each JPEG with its
    EXIF (a phone's photo in a scan: the GPS position). Walked from the catalogue, one object
    at a time (no recursion: a hostile file nests deep); what is not reached is no longer
    written (an XMP stream whose key went would otherwise be).
    """
    objects = writer._objects  # pypdf's own list (pinned version): the objects it writes
    # Objects by their file and number: one still of the file read (pypdf copies it when
    # writing) is cleaned where it is.
    reached: set[tuple[int, int]] = set()
    # The catalogue (no document information: its metadata was set to None before).
    waiting: list[Any] = [writer.root_object.indirect_reference]
    while waiting:
        item = waiting.pop()
        if isinstance(item, IndirectObject):
            if (id(item.pdf), item.idnum) in reached:
                continue
            reached.add((id(item.pdf), item.idnum))
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for key in OBJECT_KEYS_DROPPED:
                item.pop(NameObject(key), None)
            if isinstance(item, StreamObject):
                _clean_image_stream(item)
            waiting.extend(item.values())
        elif isinstance(item, ArrayObject):
            waiting.extend(item)
    for index in range(len(objects)):
        if (id(writer), index + 1) not in reached:
            objects[index] = None


def _clean_image_stream(stream: StreamObject) -> None:
    """A JPEG loses its metadata segments, losslessly (`lib.jpeg`): an image's, or that of any
    stream holding one (a reader would not draw it, but its bytes are in the file)."""
    filters = _resolved(stream.get("/Filter"))
    if isinstance(filters, ArrayObject):
        # Named by reference in a list, which pypdf's decoding does not follow.
        filters = ArrayObject(_resolved(name) for name in filters)
        stream[NameObject("/Filter")] = filters
        if any(name in DCT for name in filters[:-1]):
            # A JPEG's bytes decoded again after it: no reader draws it, yet they are there.
            raise ValidationError({"file": _("This PDF cannot be read.")})
    last = filters[-1] if isinstance(filters, ArrayObject) and filters else filters
    if last not in DCT:
        return
    try:
        cleaned = jpeg.without_metadata(stream.get_data())  # earlier filters decoded
    except (jpeg.MalformedJPEG, NotImplementedError):  # a filter pypdf does not know, before
        raise ValidationError({"file": _("This PDF cannot be read.")}) from None
    parameters = _resolved(stream.get("/DecodeParms"))
    if isinstance(parameters, ArrayObject):
        parameters = _resolved(parameters[-1]) if parameters else None
    # Written as JPEG alone, with the JPEG's own parameters (its colour transform).
    stream[NameObject("/Filter")] = NameObject("/DCTDecode")
    stream.pop(NameObject("/DecodeParms"), None)
    if isinstance(parameters, DictionaryObject):
        stream[NameObject("/DecodeParms")] = parameters
    StreamObject.set_data(stream, cleaned)  # the bytes as they are: not encoded again
    if isinstance(stream, EncodedStreamObject):
        stream.decoded_self = None  # what `get_data` kept of the bytes before


def _resolved(value: Any) -> Any:
    """The object itself, where the file names it by reference (`/Filter 12 0 R`)."""
    return value.get_object() if isinstance(value, IndirectObject) else value


def _clean_pdf(data: bytes) -> bytes:
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise ValidationError({"file": _("Password-protected PDFs cannot be attached.")})
        writer = PdfWriter()
        for page in reader.pages:
            # Taken out before the page is copied: the copy takes every object the page
            # refers to, and one left behind unreferenced is still written.
            _without_actions(page)
            writer.add_page(page)
        writer.metadata = None
        _without_object_metadata(writer)
        out = BytesIO()
        writer.write(out)
    except UNREADABLE_PDF:
        raise ValidationError({"file": _("This PDF cannot be read.")}) from None
    return out.getvalue()


def clean(data: bytes) -> tuple[bytes, str]:
    """Return the file without metadata, and its type; refuse anything else."""
    if len(data) > settings.ENGAGE_DOCUMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(mb)s MB.")
                % {"mb": settings.ENGAGE_DOCUMENT_MAX_BYTES // 2**20}
            }
        )
    content_type = sniff(data)
    if content_type is None:
        raise ValidationError({"file": _("Attach a PDF, a JPEG or a PNG file.")})
    if content_type == PDF:
        return _clean_pdf(data), content_type
    return _clean_image(data, content_type), content_type


# Its file is deleted if this (or an `encrypted_files.atomic` block around it) rolls back, and
# by the sweep if a block further out does: no file outlives its row (lib.encrypted_files).
@encrypted_files.atomic()
def attach(case: Case, *, by: User, kind: str, title: str, data: bytes) -> Document:
    workflow.require_step(case, "attach_document")
    cleaned, content_type = clean(data)  # seconds for a large PDF: before any row is locked
    # Then the person and the case as stored, locked in erasure's order: the page loaded them
    # before the file was received and cleaned (a letter laid out), and an erasure or a closure
    # since would never see a document attached after it (erasure is not run twice; a closed
    # case keeps its documents). The count too, so two uploads at once cannot pass the limit.
    Person.objects.select_for_update().only("pk").get(pk=case.person_id)
    case = Case.objects.select_for_update().select_related("person").get(pk=case.pk)
    workflow.require_step(case, "attach_document")
    if case.documents.count() >= settings.ENGAGE_DOCUMENTS_PER_CASE:
        raise ValidationError(
            _("This case already has %(n)s documents, the most it can hold.")
            % {"n": settings.ENGAGE_DOCUMENTS_PER_CASE}
        )
    document = Document(
        case=case,
        kind=kind,
        title=title,
        content_type=content_type,
        size=len(cleaned),
        uploaded_by=by,
    )
    storage.save(document.pk, cleaned)
    document.save()
    record(by, AuditEvent.Action.CREATE, document)
    return document


def read(document: Document, *, by: User, request: HttpRequest | None = None) -> bytes:
    record(by, AuditEvent.Action.VIEW, document, request=request)
    return storage.load(document.pk)


@transaction.atomic
def remove(document: Document, *, by: User | None) -> None:
    """Delete the document and its file; refuse one that is kept (`keeping`).

    `by` None is erasure or retention (`privacy.services`): the person's data goes whatever
    it was, with no refusal, after each app that keeps the document has let go of it.
    """
    if by is None:
        keeping.release(document)
    else:
        # The case as stored, locked: a closure approved at the same moment waits or is seen.
        document.case = Case.objects.select_for_update().get(pk=document.case_id)
        if reason := keeping.why_kept(document):
            raise ValidationError(reason)
    Document.objects.filter(pk=document.pk).delete()
    transaction.on_commit(lambda: storage.delete(document.pk))
    if by is not None:
        record(by, AuditEvent.Action.UPDATE, document.case, detail="document_removed")
