"""Dari (Afghanistan): year/month/day as CLDR's fa-AF, Western digits (see hotline/core/formats)."""

DATE_FORMAT = "Y/n/j"
SHORT_DATE_FORMAT = "Y/n/j"
DATETIME_FORMAT = "Y/n/j H:i"
SHORT_DATETIME_FORMAT = "Y/n/j H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "n/j"
YEAR_MONTH_FORMAT = "Y/n"
FIRST_DAY_OF_WEEK = 6  # Saturday
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
