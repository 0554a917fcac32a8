"""The registry of read models: every one, in the order they are set up and reported."""

from projections import (
    customer_profiles,
    order_open_days,
    order_search,
    order_summaries,
    product_catalogue,
    sales_report,
)
from projections.projection import Projection

ALL: tuple[Projection, ...] = (
    order_summaries.PROJECTION,
    customer_profiles.PROJECTION,
    product_catalogue.PROJECTION,
    sales_report.PROJECTION,
    order_search.PROJECTION,
    order_open_days.PROJECTION,
)
BY_NAME: dict[str, Projection] = {projection.name: projection for projection in ALL}
