"""Lists return a page that is also an auto-paging iterator, sync and async."""

from __future__ import annotations

import pytest

import bsa_lms
from conftest import Sandbox


@pytest.fixture
def customers(client: bsa_lms.Client) -> list[str]:
    """Seven customers, created in order."""
    return [client.create_customer(external_id=f"page-{i}").id for i in range(7)]


def test_first_page_and_every_item_across_pages(
    client: bsa_lms.Client, sandbox: Sandbox, customers: list[str]
) -> None:
    page = client.list_customers(rows=3, order_by="id", sort_order="ASC")
    assert isinstance(page, bsa_lms.SyncPage)
    assert [c.id for c in page.items] == customers[:3]
    assert (page.page, page.rows_per_page, page.total) == (1, 3, 7)
    assert page.has_next_page()
    assert page.to_dict()["total"] == 7

    before = sandbox.requests("GET /v1/customers")
    ids = [c.id for c in page]
    assert ids == customers
    # Pages 2 and 3 were fetched, and nothing more.
    assert sandbox.requests("GET /v1/customers") == before + 2

    pages = list(page.iter_pages())
    assert [p.page for p in pages] == [1, 2, 3]
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert not pages[-1].has_next_page()


def test_iteration_starts_at_the_requested_page(
    client: bsa_lms.Client, customers: list[str]
) -> None:
    assert [c.id for c in client.list_customers(rows=3, page=2, order_by="id")] == customers[3:]


def test_filters_are_kept_on_every_page(client: bsa_lms.Client) -> None:
    for i in range(5):
        client.create_customer(external_id=f"other-{i}")
    customer = client.create_customer(external_id="borrower")
    loans = [
        client.create_loan(customer_id=int(customer.id), product_id=1, principal=1000 + i).id
        for i in range(5)
    ]
    other = client.create_customer(external_id="someone-else")
    client.create_loan(customer_id=int(other.id), product_id=1, principal=1000)
    got = [loan.id for loan in client.list_loans(customer_id=customer.id, rows=2, order_by="id")]
    assert sorted(got) == sorted(loans)


def test_an_empty_list_is_one_empty_page(client: bsa_lms.Client) -> None:
    page = client.list_customers(external_id="nobody")
    assert page.items == [] and page.total == 0
    assert not page.has_next_page()
    assert list(page) == []


async def test_async_pages(
    aclient: bsa_lms.AsyncClient, sandbox: Sandbox, customers: list[str]
) -> None:
    pager = aclient.list_customers(rows=3, order_by="id", sort_order="ASC")
    assert isinstance(pager, bsa_lms.AsyncPager)
    ids = [c.id async for c in pager]
    assert ids == customers

    page = await aclient.list_customers(rows=3, order_by="id", sort_order="ASC")
    assert isinstance(page, bsa_lms.AsyncPage)
    assert [c.id for c in page.items] == customers[:3]
    assert page.total == 7
    second = await page.next_page()
    assert second.page == 2
    assert [c.id async for c in second] == customers[3:]
    assert [p.page async for p in page.iter_pages()] == [1, 2, 3]


async def test_async_pager_errors_surface_when_awaited(aclient: bsa_lms.AsyncClient) -> None:
    with pytest.raises(bsa_lms.InvalidArgumentError):
        await aclient.list_customers(rows=1000)
    with pytest.raises(bsa_lms.InvalidArgumentError):
        async for _ in aclient.list_customers(rows=1000):
            pass
