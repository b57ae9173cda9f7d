"""Every page extends base.html, which extends root.html, a layout of one block: Django walks
the whole tree of a chain's root layout for its blocks on every render, so that root is kept to
one node (engage/templates/root.html)."""

import pytest
from django.template.base import Node, TextNode
from django.template.defaulttags import CommentNode
from django.template.loader import get_template
from django.template.loader_tags import BlockNode, ExtendsNode

from tests.spies import calls_of


def _tags(template_name):
    return [
        node
        for node in get_template(template_name).template.nodelist
        if not isinstance(node, (TextNode, CommentNode))
    ]


def test_the_root_layout_is_one_empty_block():
    (block,) = _tags("root.html")
    assert isinstance(block, BlockNode)
    assert not [node for node in block.nodelist if not isinstance(node, TextNode)]


def test_base_html_extends_the_root_layout():
    extends = _tags("base.html")[0]
    assert isinstance(extends, ExtendsNode)
    assert extends.parent_name.var == "root.html"


@pytest.mark.django_db
def test_it_walks_a_handful_of_nodes_for_the_blocks_of_a_page(alice, as_user, monkeypatch):
    client = as_user(alice)
    client.get("/")  # every template of the page compiled (their blocks found once)
    walked = calls_of(monkeypatch, Node, "get_nodes_by_type")
    assert client.get("/").status_code == 200
    # base.html as the root: 100 nodes walked for every page rendered
    assert 0 < len(walked) <= 3
