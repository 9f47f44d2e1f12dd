"""The provider's version, used in the User-Agent it sends to Fivetran."""

__version__ = "0.1.0"
