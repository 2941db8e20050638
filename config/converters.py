"""A path converter for row ids that never overflows PostgreSQL's bigint.

Django's ``int`` converter accepts any number of digits; a 30-digit id would reach
the database and fail there as a 500 instead of a 404.
"""


class RowIdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
