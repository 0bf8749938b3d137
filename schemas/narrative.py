"""Narrative XHTML as FHIR restricts it (txt-1, txt-2): one ``<div>`` of the XHTML namespace holding only basic
formatting elements and attributes, no scripts, forms, frames, objects, event attributes or ``javascript:`` URLs, and
some content."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from fhirstore.errors import Issue

XHTML = "{http://www.w3.org/1999/xhtml}"
XML_NS = "{http://www.w3.org/XML/1998/namespace}"
#: txt-1: the HTML 4.0 formatting elements FHIR allows (the list the HL7 validator checks).
ELEMENTS = frozenset("""p br div h1 h2 h3 h4 h5 h6 a span b em i strong small big tt dfn q var abbr acronym cite
    blockquote hr address bdo kbd sub sup ul ol li dl dt dd pre table caption colgroup col thead tr tfoot tbody th td
    code samp img map area""".split())
#: txt-1: their attributes (no event attributes, no form or script ones).
ATTRIBUTES = frozenset("""title style class id lang dir accesskey tabindex href name src alt longdesc height width
    usemap ismap align border hspace vspace summary frame rules cellspacing cellpadding span valign char charoff abbr
    axis headers scope rowspan colspan nowrap bgcolor type start compact value cite shape coords nohref clear noshade
    size datetime hreflang rel rev charset target""".split())
TAGS = frozenset(f"{XHTML}{name}" for name in ELEMENTS)
URL_ATTRIBUTES = frozenset({"href", "src", "longdesc", "usemap", "cite"})
UNSAFE_URL = re.compile(r"^\s*(javascript|vbscript|data\s*:\s*text/html)\s*:?", re.IGNORECASE)
UNSAFE_STYLE = re.compile(r"expression\s*\(|javascript:|url\s*\(|@import", re.IGNORECASE)


def narrative_issues(div: str, expression: str) -> list[Issue]:
    """The txt-1/txt-2 issues of a ``Narrative.div`` (empty when it is acceptable)."""
    def issue(text: str) -> list[Issue]:
        return [Issue("value", f"{expression}: {text}", expression=expression)]

    if "<!" in div.replace("<!--", "") or "<?" in div:
        return issue("the narrative must not hold a DOCTYPE, entity declaration, CDATA section or processing "
                     "instruction")
    try:
        root = ElementTree.fromstring(div)
    except ElementTree.ParseError as exc:
        return issue(f"the narrative is not well-formed XHTML ({exc}); only the XML entities (&lt; &gt; &amp; "
                     f"&quot; &apos;) and numeric references are defined")
    if root.tag != f"{XHTML}div":
        return issue('the narrative must be a single <div xmlns="http://www.w3.org/1999/xhtml"> element')
    for element in root.iter():
        if element.tag not in TAGS:
            shown = element.tag.replace(XHTML, "") if isinstance(element.tag, str) else "?"
            return issue(f"txt-1: the element <{shown}> is not allowed in a narrative")
        if element.attrib:
            name = element.tag[len(XHTML):]
            for attribute, value in element.attrib.items():
                local = attribute[len(XML_NS):] if attribute.startswith(XML_NS) else attribute
                if local.lower().startswith("on"):
                    return issue(f"txt-1: event attributes ({local} on <{name}>) are not allowed in a narrative")
                if (attribute[0] == "{" and not attribute.startswith(XML_NS)) or local not in ATTRIBUTES:
                    return issue(f"txt-1: the attribute {local} on <{name}> is not allowed in a narrative")
                if local in URL_ATTRIBUTES and UNSAFE_URL.match(value):
                    return issue(f"txt-1: <{name} {local}> must not be a script URL")
                if local == "style" and UNSAFE_STYLE.search(value):
                    return issue(f"txt-1: the style of <{name}> must not load or run anything")
    if not any(text.strip() for text in root.itertext()) and root.find(f".//{XHTML}img") is None:
        return issue("txt-2: the narrative must have some non-whitespace content")
    return []
