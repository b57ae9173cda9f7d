"""ISO 3166-1 alpha-2 country codes mapped to UN M49 sub-region names.

The source is the UN Statistics Division's "Standard country or area codes for statistical use"
(M49). This mapping fills the `nationality_region` column of the network dataset, so reports
can group people by region without naming their country.

In M49, Latin America and the Caribbean, and Sub-Saharan Africa, are each a single sub-region
that is split into intermediate regions. This mapping uses those intermediate regions
(Caribbean, Central America and South America; Eastern, Middle, Southern and Western Africa) and
the sub-region everywhere else. The result is 22 names, spelt as the UN spells them.

Every current ISO 3166-1 alpha-2 code is included except AQ (Antarctica), which M49 puts in no
sub-region. XK (Kosovo) is not an ISO code and is also left out. Both give "unknown".
"""

UNKNOWN = "unknown"

SUB_REGIONS: dict[str, str] = {
    # Africa
    "DZ": "Northern Africa",  # Algeria
    "EG": "Northern Africa",  # Egypt
    "EH": "Northern Africa",  # Western Sahara
    "LY": "Northern Africa",  # Libya
    "MA": "Northern Africa",  # Morocco
    "SD": "Northern Africa",  # Sudan
    "TN": "Northern Africa",  # Tunisia
    "BI": "Eastern Africa",  # Burundi
    "DJ": "Eastern Africa",  # Djibouti
    "ER": "Eastern Africa",  # Eritrea
    "ET": "Eastern Africa",  # Ethiopia
    "IO": "Eastern Africa",  # British Indian Ocean Territory
    "KE": "Eastern Africa",  # Kenya
    "KM": "Eastern Africa",  # Comoros
    "MG": "Eastern Africa",  # Madagascar
    "MU": "Eastern Africa",  # Mauritius
    "MW": "Eastern Africa",  # Malawi
    "MZ": "Eastern Africa",  # Mozambique
    "RE": "Eastern Africa",  # Réunion
    "RW": "Eastern Africa",  # Rwanda
    "SC": "Eastern Africa",  # Seychelles
    "SO": "Eastern Africa",  # Somalia
    "SS": "Eastern Africa",  # South Sudan
    "TF": "Eastern Africa",  # French Southern Territories
    "TZ": "Eastern Africa",  # Tanzania
    "UG": "Eastern Africa",  # Uganda
    "YT": "Eastern Africa",  # Mayotte
    "ZM": "Eastern Africa",  # Zambia
    "ZW": "Eastern Africa",  # Zimbabwe
    "AO": "Middle Africa",  # Angola
    "CD": "Middle Africa",  # Democratic Republic of the Congo
    "CF": "Middle Africa",  # Central African Republic
    "CG": "Middle Africa",  # Congo
    "CM": "Middle Africa",  # Cameroon
    "GA": "Middle Africa",  # Gabon
    "GQ": "Middle Africa",  # Equatorial Guinea
    "ST": "Middle Africa",  # Sao Tome and Principe
    "TD": "Middle Africa",  # Chad
    "BW": "Southern Africa",  # Botswana
    "LS": "Southern Africa",  # Lesotho
    "NA": "Southern Africa",  # Namibia
    "SZ": "Southern Africa",  # Eswatini
    "ZA": "Southern Africa",  # South Africa
    "BF": "Western Africa",  # Burkina Faso
    "BJ": "Western Africa",  # Benin
    "CI": "Western Africa",  # Côte d'Ivoire
    "CV": "Western Africa",  # Cabo Verde
    "GH": "Western Africa",  # Ghana
    "GM": "Western Africa",  # Gambia
    "GN": "Western Africa",  # Guinea
    "GW": "Western Africa",  # Guinea-Bissau
    "LR": "Western Africa",  # Liberia
    "ML": "Western Africa",  # Mali
    "MR": "Western Africa",  # Mauritania
    "NE": "Western Africa",  # Niger
    "NG": "Western Africa",  # Nigeria
    "SH": "Western Africa",  # Saint Helena
    "SL": "Western Africa",  # Sierra Leone
    "SN": "Western Africa",  # Senegal
    "TG": "Western Africa",  # Togo
    # Americas
    "AG": "Caribbean",  # Antigua and Barbuda
    "AI": "Caribbean",  # Anguilla
    "AW": "Caribbean",  # Aruba
    "BB": "Caribbean",  # Barbados
    "BL": "Caribbean",  # Saint Barthélemy
    "BQ": "Caribbean",  # Bonaire, Sint Eustatius and Saba
    "BS": "Caribbean",  # Bahamas
    "CU": "Caribbean",  # Cuba
    "CW": "Caribbean",  # Curaçao
    "DM": "Caribbean",  # Dominica
    "DO": "Caribbean",  # Dominican Republic
    "GD": "Caribbean",  # Grenada
    "GP": "Caribbean",  # Guadeloupe
    "HT": "Caribbean",  # Haiti
    "JM": "Caribbean",  # Jamaica
    "KN": "Caribbean",  # Saint Kitts and Nevis
    "KY": "Caribbean",  # Cayman Islands
    "LC": "Caribbean",  # Saint Lucia
    "MF": "Caribbean",  # Saint Martin (French part)
    "MQ": "Caribbean",  # Martinique
    "MS": "Caribbean",  # Montserrat
    "PR": "Caribbean",  # Puerto Rico
    "SX": "Caribbean",  # Sint Maarten (Dutch part)
    "TC": "Caribbean",  # Turks and Caicos Islands
    "TT": "Caribbean",  # Trinidad and Tobago
    "VC": "Caribbean",  # Saint Vincent and the Grenadines
    "VG": "Caribbean",  # Virgin Islands (British)
    "VI": "Caribbean",  # Virgin Islands (U.S.)
    "BZ": "Central America",  # Belize
    "CR": "Central America",  # Costa Rica
    "GT": "Central America",  # Guatemala
    "HN": "Central America",  # Honduras
    "MX": "Central America",  # Mexico
    "NI": "Central America",  # Nicaragua
    "PA": "Central America",  # Panama
    "SV": "Central America",  # El Salvador
    "AR": "South America",  # Argentina
    "BO": "South America",  # Bolivia
    "BR": "South America",  # Brazil
    "BV": "South America",  # Bouvet Island
    "CL": "South America",  # Chile
    "CO": "South America",  # Colombia
    "EC": "South America",  # Ecuador
    "FK": "South America",  # Falkland Islands (Malvinas)
    "GF": "South America",  # French Guiana
    "GS": "South America",  # South Georgia
    "GY": "South America",  # Guyana
    "PE": "South America",  # Peru
    "PY": "South America",  # Paraguay
    "SR": "South America",  # Suriname
    "UY": "South America",  # Uruguay
    "VE": "South America",  # Venezuela
    "BM": "Northern America",  # Bermuda
    "CA": "Northern America",  # Canada
    "GL": "Northern America",  # Greenland
    "PM": "Northern America",  # Saint Pierre and Miquelon
    "US": "Northern America",  # United States of America
    # Asia
    "KG": "Central Asia",  # Kyrgyzstan
    "KZ": "Central Asia",  # Kazakhstan
    "TJ": "Central Asia",  # Tajikistan
    "TM": "Central Asia",  # Turkmenistan
    "UZ": "Central Asia",  # Uzbekistan
    "CN": "Eastern Asia",  # China
    "HK": "Eastern Asia",  # Hong Kong
    "JP": "Eastern Asia",  # Japan
    "KP": "Eastern Asia",  # North Korea
    "KR": "Eastern Asia",  # South Korea
    "MN": "Eastern Asia",  # Mongolia
    "MO": "Eastern Asia",  # Macao
    "TW": "Eastern Asia",  # Taiwan
    "BN": "South-eastern Asia",  # Brunei
    "ID": "South-eastern Asia",  # Indonesia
    "KH": "South-eastern Asia",  # Cambodia
    "LA": "South-eastern Asia",  # Laos
    "MM": "South-eastern Asia",  # Myanmar
    "MY": "South-eastern Asia",  # Malaysia
    "PH": "South-eastern Asia",  # Philippines
    "SG": "South-eastern Asia",  # Singapore
    "TH": "South-eastern Asia",  # Thailand
    "TL": "South-eastern Asia",  # Timor-Leste
    "VN": "South-eastern Asia",  # Vietnam
    "AF": "Southern Asia",  # Afghanistan
    "BD": "Southern Asia",  # Bangladesh
    "BT": "Southern Asia",  # Bhutan
    "IN": "Southern Asia",  # India
    "IR": "Southern Asia",  # Iran
    "LK": "Southern Asia",  # Sri Lanka
    "MV": "Southern Asia",  # Maldives
    "NP": "Southern Asia",  # Nepal
    "PK": "Southern Asia",  # Pakistan
    "AE": "Western Asia",  # United Arab Emirates
    "AM": "Western Asia",  # Armenia
    "AZ": "Western Asia",  # Azerbaijan
    "BH": "Western Asia",  # Bahrain
    "CY": "Western Asia",  # Cyprus
    "GE": "Western Asia",  # Georgia
    "IL": "Western Asia",  # Israel
    "IQ": "Western Asia",  # Iraq
    "JO": "Western Asia",  # Jordan
    "KW": "Western Asia",  # Kuwait
    "LB": "Western Asia",  # Lebanon
    "OM": "Western Asia",  # Oman
    "PS": "Western Asia",  # Palestine
    "QA": "Western Asia",  # Qatar
    "SA": "Western Asia",  # Saudi Arabia
    "SY": "Western Asia",  # Syria
    "TR": "Western Asia",  # Türkiye
    "YE": "Western Asia",  # Yemen
    # Europe
    "BG": "Eastern Europe",  # Bulgaria
    "BY": "Eastern Europe",  # Belarus
    "CZ": "Eastern Europe",  # Czechia
    "HU": "Eastern Europe",  # Hungary
    "MD": "Eastern Europe",  # Moldova
    "PL": "Eastern Europe",  # Poland
    "RO": "Eastern Europe",  # Romania
    "RU": "Eastern Europe",  # Russia
    "SK": "Eastern Europe",  # Slovakia
    "UA": "Eastern Europe",  # Ukraine
    "AX": "Northern Europe",  # Åland Islands
    "DK": "Northern Europe",  # Denmark
    "EE": "Northern Europe",  # Estonia
    "FI": "Northern Europe",  # Finland
    "FO": "Northern Europe",  # Faroe Islands
    "GB": "Northern Europe",  # United Kingdom
    "GG": "Northern Europe",  # Guernsey
    "IE": "Northern Europe",  # Ireland
    "IM": "Northern Europe",  # Isle of Man
    "IS": "Northern Europe",  # Iceland
    "JE": "Northern Europe",  # Jersey
    "LT": "Northern Europe",  # Lithuania
    "LV": "Northern Europe",  # Latvia
    "NO": "Northern Europe",  # Norway
    "SE": "Northern Europe",  # Sweden
    "SJ": "Northern Europe",  # Svalbard and Jan Mayen
    "AD": "Southern Europe",  # Andorra
    "AL": "Southern Europe",  # Albania
    "BA": "Southern Europe",  # Bosnia and Herzegovina
    "ES": "Southern Europe",  # Spain
    "GI": "Southern Europe",  # Gibraltar
    "GR": "Southern Europe",  # Greece
    "HR": "Southern Europe",  # Croatia
    "IT": "Southern Europe",  # Italy
    "ME": "Southern Europe",  # Montenegro
    "MK": "Southern Europe",  # North Macedonia
    "MT": "Southern Europe",  # Malta
    "PT": "Southern Europe",  # Portugal
    "RS": "Southern Europe",  # Serbia
    "SI": "Southern Europe",  # Slovenia
    "SM": "Southern Europe",  # San Marino
    "VA": "Southern Europe",  # Vatican City
    "AT": "Western Europe",  # Austria
    "BE": "Western Europe",  # Belgium
    "CH": "Western Europe",  # Switzerland
    "DE": "Western Europe",  # Germany
    "FR": "Western Europe",  # France
    "LI": "Western Europe",  # Liechtenstein
    "LU": "Western Europe",  # Luxembourg
    "MC": "Western Europe",  # Monaco
    "NL": "Western Europe",  # Netherlands
    # Oceania
    "AU": "Australia and New Zealand",  # Australia
    "CC": "Australia and New Zealand",  # Cocos (Keeling) Islands
    "CX": "Australia and New Zealand",  # Christmas Island
    "HM": "Australia and New Zealand",  # Heard Island and McDonald Islands
    "NF": "Australia and New Zealand",  # Norfolk Island
    "NZ": "Australia and New Zealand",  # New Zealand
    "FJ": "Melanesia",  # Fiji
    "NC": "Melanesia",  # New Caledonia
    "PG": "Melanesia",  # Papua New Guinea
    "SB": "Melanesia",  # Solomon Islands
    "VU": "Melanesia",  # Vanuatu
    "FM": "Micronesia",  # Micronesia
    "GU": "Micronesia",  # Guam
    "KI": "Micronesia",  # Kiribati
    "MH": "Micronesia",  # Marshall Islands
    "MP": "Micronesia",  # Northern Mariana Islands
    "NR": "Micronesia",  # Nauru
    "PW": "Micronesia",  # Palau
    "UM": "Micronesia",  # United States Minor Outlying Islands
    "AS": "Polynesia",  # American Samoa
    "CK": "Polynesia",  # Cook Islands
    "NU": "Polynesia",  # Niue
    "PF": "Polynesia",  # French Polynesia
    "PN": "Polynesia",  # Pitcairn
    "TK": "Polynesia",  # Tokelau
    "TO": "Polynesia",  # Tonga
    "TV": "Polynesia",  # Tuvalu
    "WF": "Polynesia",  # Wallis and Futuna
    "WS": "Polynesia",  # Samoa
}


def region_of(code: str) -> str:
    """The M49 sub-region of an alpha-2 country code, in any case; "unknown" if none."""
    return SUB_REGIONS.get((code or "").strip().upper(), UNKNOWN)
