"""The CDDB: customers and their vehicles, identifiers (NIK, phone, plate, engine and frame numbers),
the customer page and timeline."""

from typing import TYPE_CHECKING

from core.platform.public import lazy_exports

if TYPE_CHECKING:  # the public names, loaded on first use (core.platform.public)
    from core.customers import timeline as timeline
    from core.customers.customer import CustomerInput as CustomerInput, update_customer as update_customer
    from core.customers.phone import format_phone_local as format_phone_local
    from core.customers.view import customer_profile as customer_profile

__all__, __getattr__ = lazy_exports(__file__, __name__)
