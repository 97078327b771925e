"""Government of Canada contracts: the Proactive Disclosure of Contracts file from open.canada.ca, the
GoC-Spending project's processed form of it, and that project's per-vendor, per-fiscal-year totals."""
