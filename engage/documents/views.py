from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engage.accounts.http import AuthenticatedHttpRequest
from engage.accounts.kept_forms import keeps_typed_work
from engage.accounts.permissions import role_required
from engage.cases import workflow
from engage.cases.access import CASE_WORKERS, get_case_for_user, get_case_object
from engage.documents import keeping, services
from engage.documents.models import Document
from engage.lib.forms import run_service, small_enough


class DocumentForm(forms.ModelForm[Document]):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "PDF, JPEG or PNG. Hidden details such as GPS position are removed."
        ),
    )

    class Meta:
        model = Document
        fields = ["kind", "title", "file"]

    def clean_file(self) -> UploadedFile:
        # Before the view reads it whole: `services.clean` checks the bytes too, but only once
        # they are in memory.
        return small_enough(self.cleaned_data["file"])


@keeps_typed_work
@role_required(*CASE_WORKERS)
def documents(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    case = get_case_for_user(request.user, pk, for_work=True)
    # Not to a closed case, nor to the case of a person erased (`workflow.AFTER_ERASURE`).
    attaching = "attach_document" in workflow.allowed_steps(case)
    if request.method == "POST" and not attaching:
        # Sent from a page opened before the closure (or the erasure): the page has no form to
        # show the refusal beside, so it is a message on the list.
        run_service(request, None, lambda: workflow.require_step(case, "attach_document"))
        return redirect("documents:list", case.pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if run_service(
        request,
        form,
        lambda: services.attach(
            case,
            by=request.user,
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            data=form.cleaned_data["file"].read(),
        ),
    ):
        messages.success(request, _("Document attached."))
        return redirect("documents:list", case.pk)
    documents = list(case.documents.select_related("uploaded_by"))
    closed = keeping.case_reason(case)
    kept = {} if closed else keeping.reasons(documents)
    context = {
        "case": case,
        "form": form if attaching else None,
        # Why nothing more is attached to an open case: its person was erased.
        "erased": workflow.ERASED if case.is_open and not attaching else None,
        "closed": closed,
        # Each document with why it is kept (None: it may be deleted).
        "documents": [(document, kept.get(document.pk)) for document in documents],
    }
    return render(request, "documents/list.html", context)


@role_required(*CASE_WORKERS)
def download(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    document = get_case_object(request.user, Document, pk)
    response = HttpResponse(
        services.read(document, by=request.user, request=request),
        content_type=document.content_type,
    )
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[
        document.content_type
    ]
    response["Content-Disposition"] = (
        f'attachment; filename="document-{document.pk.hex[:8]}.{extension}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@role_required(*CASE_WORKERS)
def delete(request: AuthenticatedHttpRequest, pk: UUID) -> HttpResponse:
    document = get_case_object(request.user, Document, pk)
    if request.method == "POST":
        # A refusal (the document is kept) is a message on the list, where it stays.
        run_service(
            request,
            None,
            lambda: services.remove(document, by=request.user),
            success=_("Document deleted."),
        )
        return redirect("documents:list", document.case_id)
    context = {"document": document, "case": document.case, "kept": keeping.why_kept(document)}
    return render(request, "documents/delete.html", context)
