"""What a phone writes into a photo about itself, its owner and the place: none of it may be stored.

Shared by the unit tests of HEIC/AVIF stripping and the API tests of phone photos.
"""

from __future__ import annotations

from PIL import Image

SECRETS = (b"SecretPhone Pro", b"Jane Q. Sender", b"52,31.2N")
_XMP_PLACE = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" exif:GPSLatitude="52,31.2N" '
    b'dc:creator="Jane Q. Sender"{orientation}/></rdf:RDF></x:xmpmeta>'
)


def phone_xmp(orientation: int | None = None) -> bytes:
    """Return an XMP packet with the place and the owner, and ``orientation`` if given."""
    said = b"" if orientation is None else b' xmlns:tiff="http://ns.adobe.com/tiff/1.0/"'
    said += b"" if orientation is None else b' tiff:Orientation="%d"' % orientation
    return _XMP_PLACE.replace(b"{orientation}", said)


def phone_exif(orientation: int) -> Image.Exif:
    """Return EXIF with ``orientation``, the camera's make and the photo's owner."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretPhone Pro"
    exif[0x013B] = "Jane Q. Sender"
    return exif
