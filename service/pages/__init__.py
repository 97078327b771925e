"""The pages people read: the vendor check and its permanent records, the scored firms and each firm's
profile, rendered on the server from what the API serves (no script framework, no outside host).

    i18n.py      the English and French message catalogue, the language a request gets, money in words
    present.py   plain-language statements built from the API's models (verdict, policy, recognition, coverage)
    records.py   a vendor check as a stored, replayable record (a one-item screening plus what the page showed)
    render.py    the Jinja2 environment and the HTML response
"""
