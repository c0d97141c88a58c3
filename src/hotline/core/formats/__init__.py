"""Date and number formats of the public languages Django has none for (settings.FORMAT_MODULE_PATH).

Numeric dates with Western digits: Django has no month names in these languages (they would show in Swedish,
the fallback), and the same digits as receipt codes keep pages consistent. Day-month-year order follows CLDR.
"""
