"""Pure data for demo people: countries, names, company words and email domains.

Names are realistic for each language (with their diacritics), so the desk, the search and the
email parser see real-world text; every email domain is under the reserved ``example.*`` names
(RFC 2606), so demo data can never mail a real person.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """One country customers come from: its region code, share of customers and language."""

    region: str
    weight: int
    language: str
    names: str  # key into FIRST_NAMES / LAST_NAMES
    company_suffixes: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country("DE", 34, "de", "de", ("GmbH", "AG", "KG", "GmbH & Co. KG")),
    Country("AT", 10, "de", "de", ("GmbH", "KG", "OG")),
    Country("CH", 8, "de", "de", ("AG", "GmbH", "SA")),
    Country("GB", 10, "en", "en", ("Ltd", "plc", "LLP")),
    Country("US", 8, "en", "en", ("Inc.", "LLC", "Corp.")),
    Country("FR", 8, "fr", "fr", ("SARL", "SAS", "SA")),
    Country("PL", 6, "pl", "pl", ("sp. z o.o.", "S.A.")),
    Country("GR", 4, "el", "el", ("A.E.", "E.P.E.", "I.K.E.")),
    Country("FI", 4, "fi", "fi", ("Oy", "Oyj")),
    Country("NL", 4, "nl", "nl", ("B.V.", "N.V.")),
    Country("ES", 2, "es", "es", ("S.L.", "S.A.")),
    Country("IT", 2, "it", "it", ("S.r.l.", "S.p.A.")),
)

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "de": ("Anna", "Lukas", "Sophie", "Maximilian", "Marie", "Jonas", "Lena", "Felix", "Hannah", "Paul",
           "Katharina", "Jürgen", "Sabine", "Thomas", "Ursula", "Stefan", "Birgit", "Matthias", "Jörg",
           "Monika", "Florian", "Claudia", "Tobias", "Petra", "Björn", "Gül", "Mehmet", "Agnieszka"),
    "en": ("Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "James", "Olivia",
           "William", "Sophia", "Michael", "Jennifer", "David", "Sarah", "Daniel", "Jessica", "Robert",
           "Linda", "Priya", "Mohammed", "Siobhan", "Connor", "Aisha", "Ethan", "Grace", "Liam"),
    "fr": ("Camille", "Louis", "Léa", "Gabriel", "Chloé", "Hugo", "Manon", "Raphaël", "Inès", "Jules",
           "Élodie", "François", "Céline", "Benoît", "Amélie", "Théo", "Zoé", "Mathéo", "Anaïs", "Noé"),
    "pl": ("Jakub", "Zuzanna", "Antoni", "Julia", "Jan", "Zofia", "Szymon", "Maja", "Łukasz", "Małgorzata",
           "Krzysztof", "Katarzyna", "Paweł", "Agnieszka", "Michał", "Ewa", "Wojciech", "Joanna"),
    "el": ("Giorgos", "Maria", "Dimitris", "Eleni", "Nikos", "Katerina", "Kostas", "Sofia", "Yannis",
           "Despina", "Panagiotis", "Vasiliki", "Christos", "Angeliki", "Thanasis", "Ioanna"),
    "fi": ("Aino", "Eino", "Helmi", "Väinö", "Siiri", "Onni", "Aada", "Leo", "Ella", "Juho", "Päivi",
           "Mikko", "Sanna", "Jussi", "Tiina", "Antti", "Riikka", "Ville"),
    "nl": ("Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Finn", "Tess", "Levi", "Sophie", "Bram",
           "Anouk", "Joost", "Femke", "Sander", "Marieke", "Pieter", "Lotte"),
    "es": ("Hugo", "Lucía", "Martín", "Sofía", "Pablo", "María", "Álvaro", "Paula", "Javier", "Carmen",
           "Alejandro", "Nuria", "Sergio", "Elena", "Íñigo", "Begoña"),
    "it": ("Leonardo", "Sofia", "Francesco", "Aurora", "Alessandro", "Giulia", "Lorenzo", "Ginevra",
           "Matteo", "Chiara", "Giuseppe", "Francesca", "Niccolò", "Federica", "Andrea", "Paola"),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
           "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Weiß", "Kowalski",
           "Yilmaz", "Öztürk", "Brändli", "Gruber", "Huber", "Steiner", "Moser", "Keller", "Baumgartner"),
    "en": ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
           "Johnson", "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards",
           "Green", "Hall", "Wood", "Harris", "O'Brien", "McDonald", "Patel", "Khan", "Garcia", "Miller",
           "Davis", "Rodriguez", "Martinez", "Anderson", "Clarke", "Murphy"),
    "fr": ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
           "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
           "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Mercier"),
    "pl": ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
           "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
           "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski"),
    "el": ("Papadopoulos", "Papadakis", "Georgiou", "Nikolaidis", "Oikonomou", "Vlachos", "Konstantinidis",
           "Dimitriou", "Ioannou", "Karagiannis", "Makris", "Antoniou", "Christodoulou", "Pappas",
           "Alexiou", "Stavrou"),
    "fi": ("Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen",
           "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi"),
    "nl": ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
           "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks"),
    "es": ("García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
           "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
           "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa"),
}

# Trades for company names, per language: "<Last name> <trade> <legal suffix>".
TRADES: dict[str, tuple[str, ...]] = {
    "de": ("Elektrotechnik", "Haustechnik", "Logistik", "IT-Service", "Bau", "Medien", "Immobilien",
           "Steuerberatung", "Zahnarztpraxis", "Metallbau", "Autohaus", "Druckerei"),
    "en": ("Consulting", "Logistics", "Networks", "Dental", "Builders", "Media", "Accountants",
           "Engineering", "Property", "Catering", "Print", "Motors"),
    "fr": ("Conseil", "Logistique", "Informatique", "Bâtiment", "Médias", "Immobilier", "Transports",
           "Électricité", "Pharmacie", "Imprimerie"),
    "pl": ("Logistyka", "Informatyka", "Budownictwo", "Media", "Transport", "Serwis", "Handel"),
    "el": ("Logistics", "Technologies", "Constructions", "Trading", "Shipping", "Media"),
    "fi": ("Logistiikka", "Tekniikka", "Rakennus", "Media", "Palvelut", "Kuljetus"),
    "nl": ("Logistiek", "Installatietechniek", "Bouw", "Media", "Advies", "Transport"),
    "es": ("Logística", "Consultores", "Construcciones", "Medios", "Transportes", "Informática"),
    "it": ("Logistica", "Consulenze", "Costruzioni", "Informatica", "Trasporti", "Impianti"),
}

PRIVATE_EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com", "example.net", "example.org", "mail.example.com", "post.example.net", "inbox.example.org",
)

_ASCII_FOLD = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "đ": "d", "\u0131": "i"})


def ascii_slug(text: str, sep: str = ".") -> str:
    """Fold *text* to lower-case ASCII letters and digits joined by *sep* (for email local parts)."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD)).encode("ascii", "ignore").decode()
    words = "".join(ch if ch.isalnum() else " " for ch in folded.lower()).split()
    return sep.join(words)


def gendered_surname(first: str, last: str, names: str) -> str:
    """Polish surnames agree with the bearer: Anna Kowalska, Jan Kowalski."""
    if names != "pl":
        return last
    if last.endswith(("ska", "cka", "dzka")):
        last = last[:-1] + "i"
    if first.endswith("a") and last.endswith(("ski", "cki", "dzki")):
        return last[:-1] + "a"
    return last
