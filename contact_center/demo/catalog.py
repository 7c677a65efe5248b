"""Pure data: the demo shop's products and the bundles customers really buy together.

The demo company sells networking, telephony, storage and camera gear. Orders are built from an
*anchor* product plus its companions, each with its own probability (a router is often bought
with a mesh extender and a surge protector, a NAS with disks and a UPS, a camera hub with
outdoor cameras), so "customers who bought X also bought Y" suggestions computed from the sales
database are meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """One catalogue line; ``id`` is its row id in the sales database."""

    id: int
    sku: str
    name: str
    category: str
    price: float


@dataclass(frozen=True)
class Companion:
    """A product bought along with an anchor with probability *p*, in quantity *qty_min*..*qty_max*."""

    sku: str
    p: float
    qty_min: int = 1
    qty_max: int = 1


_ROWS: tuple[tuple[str, str, str, float], ...] = (
    ("RT-100", "HomeLink R100 Router", "routers", 89.00),
    ("RT-300", "HomeLink R300 Wi-Fi 6 Router", "routers", 149.00),
    ("RT-900", "ProLink R900 Business Router", "routers", 399.00),
    ("RT-LTE", "MobileLink LTE Router", "routers", 199.00),
    ("MX-1", "HomeLink Mesh Extender", "mesh", 79.00),
    ("MX-3", "HomeLink Mesh 3-Pack", "mesh", 219.00),
    ("MX-PRO", "ProLink Mesh Access Point", "mesh", 249.00),
    ("SP-6", "SurgeGuard 6-Outlet Surge Protector", "power", 29.90),
    ("UPS-600", "PowerSafe 600 VA UPS", "power", 119.00),
    ("UPS-1500", "PowerSafe 1500 VA UPS", "power", 289.00),
    ("CB-C6-2", "Cat 6 Patch Cable 2 m", "cables", 6.90),
    ("CB-C6-10", "Cat 6 Patch Cable 10 m", "cables", 14.90),
    ("CB-FO-5", "Fibre Patch Cable 5 m", "cables", 19.90),
    ("PL-1200", "PowerLine 1200 Adapter Kit", "networking", 99.00),
    ("SW-8", "NetSwitch 8-Port Gigabit", "switches", 39.00),
    ("SW-24P", "NetSwitch 24-Port PoE Managed", "switches", 329.00),
    ("SW-RACK", "19-inch Wall Rack 9U", "switches", 159.00),
    ("PH-DECT", "VoiceLine DECT Phone", "phones", 59.00),
    ("PH-DECT2", "VoiceLine DECT Handset (extra)", "phones", 45.00),
    ("PH-BASE", "VoiceLine DECT Base Station", "phones", 99.00),
    ("PH-IP", "VoiceLine IP Desk Phone", "phones", 129.00),
    ("PH-HS", "VoiceLine USB Headset", "phones", 69.00),
    ("NAS-2", "DataVault 2-Bay NAS", "storage", 279.00),
    ("NAS-4", "DataVault 4-Bay NAS", "storage", 549.00),
    ("HDD-4", "Surveillance HDD 4 TB", "storage", 109.00),
    ("HDD-8", "NAS HDD 8 TB", "storage", 219.00),
    ("CAM-IN", "EyeHome Indoor Camera", "cameras", 49.00),
    ("CAM-OUT", "EyeHome Outdoor Camera", "cameras", 99.00),
    ("CAM-DB", "EyeHome Video Doorbell", "cameras", 129.00),
    ("CAM-HUB", "EyeHome Recorder Hub", "cameras", 179.00),
    ("FW-200", "ShieldGate 200 Firewall", "security", 449.00),
    ("FW-LIC", "ShieldGate Threat Licence (1 year)", "security", 129.00),
    ("SV-INST", "On-site Installation", "services", 149.00),
    ("SV-CARE1", "CarePlus 1-Year Extended Warranty", "services", 39.00),
    ("SV-CARE3", "CarePlus 3-Year Extended Warranty", "services", 89.00),
    ("SV-BIZ", "Business Support Plan (annual)", "services", 499.00),
)

PRODUCTS: tuple[Product, ...] = tuple(Product(i + 1, *row) for i, row in enumerate(_ROWS))
BY_SKU: dict[str, Product] = {p.sku: p for p in PRODUCTS}

BUNDLES: dict[str, tuple[Companion, ...]] = {
    "RT-100": (Companion("MX-1", 0.45), Companion("SP-6", 0.35), Companion("CB-C6-2", 0.3, 1, 3),
               Companion("SV-CARE1", 0.15)),
    "RT-300": (Companion("MX-1", 0.5, 1, 2), Companion("MX-3", 0.2), Companion("SP-6", 0.45),
               Companion("CB-C6-2", 0.3, 1, 4), Companion("SV-CARE3", 0.2)),
    "RT-900": (Companion("SW-24P", 0.4), Companion("UPS-1500", 0.35), Companion("FW-200", 0.3),
               Companion("SW-RACK", 0.25), Companion("SV-INST", 0.3), Companion("SV-BIZ", 0.2),
               Companion("MX-PRO", 0.3, 1, 4)),
    "RT-LTE": (Companion("SP-6", 0.2), Companion("MX-1", 0.2)),
    "MX-3": (Companion("SP-6", 0.25), Companion("CB-C6-2", 0.2, 1, 2)),
    "PH-DECT": (Companion("PH-DECT2", 0.5, 1, 3), Companion("PH-HS", 0.1)),
    "PH-BASE": (Companion("PH-DECT2", 0.85, 2, 6), Companion("SV-INST", 0.15)),
    "PH-IP": (Companion("PH-HS", 0.5, 1, 10), Companion("SW-24P", 0.2), Companion("CB-C6-2", 0.45, 2, 10)),
    "NAS-2": (Companion("HDD-8", 0.8, 2, 2), Companion("UPS-600", 0.35), Companion("SV-CARE3", 0.2)),
    "NAS-4": (Companion("HDD-8", 0.85, 4, 4), Companion("UPS-1500", 0.3), Companion("CB-C6-10", 0.3)),
    "CAM-HUB": (Companion("CAM-OUT", 0.7, 2, 4), Companion("CAM-IN", 0.3, 1, 2), Companion("HDD-4", 0.6),
                Companion("SV-INST", 0.25)),
    "CAM-DB": (Companion("CAM-IN", 0.3), Companion("CAM-OUT", 0.2)),
    "FW-200": (Companion("FW-LIC", 0.9), Companion("SW-24P", 0.2), Companion("SV-INST", 0.2)),
    "SW-8": (Companion("CB-C6-2", 0.7, 2, 8), Companion("CB-C6-10", 0.3, 1, 2)),
    "SW-24P": (Companion("CB-C6-10", 0.6, 4, 12), Companion("SW-RACK", 0.4), Companion("UPS-600", 0.2)),
    "PL-1200": (Companion("CB-C6-2", 0.4, 1, 2),),
}

# How often each product starts an order, for private and for business customers.
ANCHOR_WEIGHTS: dict[str, dict[str, int]] = {
    "private": {"RT-100": 14, "RT-300": 16, "RT-LTE": 5, "MX-3": 6, "MX-1": 6, "PH-DECT": 10, "PH-BASE": 2,
                "NAS-2": 6, "CAM-DB": 7, "CAM-IN": 6, "CAM-HUB": 3, "PL-1200": 5, "SW-8": 4, "SP-6": 3,
                "CB-C6-10": 3, "HDD-4": 1, "SV-CARE1": 2},
    "business": {"RT-900": 12, "RT-300": 6, "SW-24P": 9, "SW-8": 5, "PH-IP": 11, "PH-BASE": 7, "NAS-4": 7,
                 "NAS-2": 3, "FW-200": 8, "CAM-HUB": 6, "UPS-1500": 4, "UPS-600": 3, "FW-LIC": 4,
                 "CB-C6-10": 3, "HDD-8": 3, "SV-BIZ": 2, "MX-PRO": 4},
}
