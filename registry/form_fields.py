"""Form fields the admin and the data-entry pages share."""

from django import forms

from registry import choices


class ExtramedullarySitesField(forms.MultipleChoiceField):
    """The sites of extramedullary disease as checkboxes, for the JSON list the model keeps."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        # The model's JSONField hands these to its form field; a choice field takes none.
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        super().__init__(choices=choices.ExtramedullarySite.choices, required=False, **kwargs)
