"""The word lists generated orders draw from.

Per destination country: cities (postal code, name), street patterns, buyer first and
last names, phone prefixes; plus long address lines, company names, the product
catalogue, and the relay names an older generator drew (still drawn, so the random
stream stays the same). Read by :mod:`cdtui.sandbox.factory` (orders) and
:mod:`cdtui.sandbox.catalogue` (service points sit in the same cities and streets).
"""

from __future__ import annotations

# destination country -> (cities, streets, first names, last names)
CITIES: dict[str, list[tuple[str, str]]] = {
    "FR": [
        ("75002", "Paris"),
        ("69003", "Lyon"),
        ("13001", "Marseille"),
        ("33000", "Bordeaux"),
        ("59000", "Lille"),
        ("44000", "Nantes"),
        ("67000", "Strasbourg"),
        ("31000", "Toulouse"),
        ("06000", "Nice"),
        ("35000", "Rennes"),
        ("25000", "Besançon"),
        ("45000", "Orléans"),
        ("42000", "Saint-Étienne"),
        ("97400", "Saint-Denis"),
        ("20000", "Ajaccio"),
    ],
    "BE": [("1000", "Bruxelles"), ("4000", "Liège"), ("9000", "Gent"), ("2000", "Antwerpen")],
    "ES": [
        ("28013", "Madrid"),
        ("08003", "Barcelona"),
        ("41004", "Sevilla"),
        ("46001", "València"),
        ("15001", "A Coruña"),
    ],
    "DE": [
        ("10115", "Berlin"),
        ("80331", "München"),
        ("50667", "Köln"),
        ("40212", "Düsseldorf"),
        ("20095", "Hamburg"),
    ],
    "IT": [("00184", "Roma"), ("20121", "Milano"), ("80134", "Napoli"), ("10121", "Torino")],
    "NL": [("1012 JS", "Amsterdam"), ("3011 AA", "Rotterdam"), ("3511 LX", "Utrecht")],
    "SE": [("111 21", "Stockholm"), ("411 36", "Göteborg"), ("211 43", "Malmö")],
    "GB": [("NW1 6XE", "London"), ("M1 1AE", "Manchester"), ("BS1 4DJ", "Bristol")],
    "PT": [("1100-053", "Lisboa"), ("4000-322", "Porto"), ("3000-141", "Coimbra")],
}
# "{n}" is the house number: before the street in FR/GB, after it elsewhere
STREETS: dict[str, list[str]] = {
    "FR": [
        "{n} rue de la Paix",
        "{n} avenue Jean Jaurès",
        "{n} boulevard Haussmann",
        "{n} impasse des Lilas",
        "{n} rue du Général de Gaulle",
        "{n} place de l'Église",
        "{n} bis chemin des Écoliers",
    ],
    "BE": ["Rue Neuve {n}", "Avenue Louise {n}", "Chaussée de Wavre {n}"],
    "ES": [
        "Calle Mayor {n}",
        "Avenida de la Constitución {n}",
        "Carrer de Sant Pere Més Alt {n}",
        "Calle de Núñez de Balboa {n}",
    ],
    "DE": ["Hauptstraße {n}", "Königsallee {n}", "Müllerstraße {n}", "Schloßstraße {n}"],
    "IT": ["Via Roma {n}", "Corso Vittorio Emanuele II {n}", "Via della Libertà {n}"],
    "NL": ["Damrak {n}", "Prinsengracht {n}", "Coolsingel {n}"],
    "SE": ["Drottninggatan {n}", "Södra Förstadsgatan {n}", "Storgatan {n}"],
    "GB": ["{n} High Street", "{n} Baker Street", "{n} Station Road"],
    "PT": ["Rua Augusta {n}", "Avenida da Liberdade {n}", "Rua de Santa Catarina {n}"],
}
LONG_LINES = [
    "Résidence Les Jardins de la Côte d'Azur, Bâtiment C, Escalier 4",
    "Zone Industrielle des Grands Prés, Entrepôt Logistique Nord",
    "Appartement 12, 3e étage, porte gauche après l'ascenseur",
]
FIRST_NAMES: dict[str, list[str]] = {
    "FR": [
        "Camille",
        "Léa",
        "Chloé",
        "Inès",
        "Hélène",
        "Jérôme",
        "François",
        "Noël",
        "Zoé",
        "Maël",
        "Lucas",
        "Émilie",
    ],
    "BE": ["Lotte", "Wout", "Amélie", "Sébastien"],
    "ES": ["Begoña", "Íñigo", "Nuria", "José", "Martín", "Ángela"],
    "DE": ["Jürgen", "Björn", "Günther", "Jörg", "Anna", "Käthe"],
    "IT": ["Giulia", "Niccolò", "Francesca", "Nicolò"],
    "NL": ["Sanne", "Daan", "Anouk", "Joëlle"],
    "SE": ["Åsa", "Søren", "Björn", "Linnéa", "Øystein"],
    "GB": ["Oliver", "Amelia", "Siobhán", "Harry"],
    "PT": ["João", "Conceição", "Inês", "Gonçalo"],
}
LAST_NAMES: dict[str, list[str]] = {
    "FR": [
        "Durand",
        "Lefèvre",
        "Martin",
        "Bernard",
        "Gauthier",
        "Nguyễn",
        "Müller",
        "Da Silva",
        "Leclère",
        "Béranger",
    ],
    "BE": ["Peeters", "Janssens", "Dubois", "Lambert"],
    "ES": ["Muñoz", "Ibáñez", "Peña", "Núñez", "García"],
    "DE": ["Weiß", "Groß", "Schäfer", "Müller", "Strauß"],
    "IT": ["Rossi", "Esposito", "Bianchi", "Colombo"],
    "NL": ["de Vries", "van den Berg", "Bakker", "Jansen"],
    "SE": ["Sjöberg", "Lindqvist", "Jørgensen", "Ødegård", "Andersson"],
    "GB": ["Smith", "O'Brien", "Taylor", "Brown"],
    "PT": ["Gonçalves", "Magalhães", "Simões", "Araújo"],
}
PHONE_PREFIXES = {
    "FR": "+336",
    "BE": "+324",
    "ES": "+346",
    "DE": "+4915",
    "IT": "+393",
    "NL": "+316",
    "SE": "+467",
    "GB": "+447",
    "PT": "+3591",
}
PICKUP_NAMES = [
    "Tabac de la Gare",
    "Relais Pressing Émile",
    "Supérette du Marché",
    "Librairie Les Mots Passants",
]
COMPANIES = ["Boulangerie Dupré SARL", "Atelier Créatif & Fils", "Müller Logistik GmbH"]

# (sellerProductId, title, gtin, price)
PRODUCTS: list[tuple[str, str, str, float]] = [
    ("SKU-CASQ-01", "Casque audio sans fil à réduction de bruit", "3700000000011", 79.9),
    ("SKU-CHRG-02", "Chargeur USB-C 65 W", "3700000000028", 24.9),
    ("SKU-LAMP-03", "Lampe de bureau LED à intensité réglable", "3700000000035", 34.5),
    ("SKU-CAFE-04", "Cafetière à piston 1 L", "3700000000042", 19.99),
    ("SKU-SAC-05", "Sac à dos étanche 30 L", "3700000000059", 49.0),
    ("SKU-THE-06", "Thé vert bio Sencha 250 g", "3700000000066", 12.4),
    ("SKU-GANT-07", "Gants de jardinage taille M", "3700000000073", 8.9),
    ("SKU-POEL-08", "Poêle en fonte Ø 28 cm", "3700000000080", 42.0),
    ("SKU-JEU-09", "Jeu de société « Les Châteaux de Bourgogne »", "3700000000097", 39.9),
    ("SKU-VELO-10", "Antivol vélo en U renforcé", "3700000000103", 29.9),
    ("SKU-DRAP-11", "Parure de lit 240×260 percale", "3700000000110", 64.0),
    ("SKU-BOUT-12", "Bouteille isotherme 750 ml", "3700000000127", 17.5),
]
