"""The image proxy: [IMG] pictures fetched once by the forum and served from it.

Readers' browsers never contact the hosts members link pictures from. The renderer
writes each [IMG] as a signed address of the forum (``links.proxied_url``, the
``MARKUP_IMAGE_URL`` hook); the view (``views.image_proxy``) checks the signature,
and the first request fetches the picture (``fetch``: public addresses only, each
redirect re-checked, size, time and type limits) and keeps it in the default
storage (``store``).

A library with a view: no models, and it imports no project package, so it sits
at the bottom of the layers beside ``markup``.
"""
