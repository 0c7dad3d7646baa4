import type { KindSpec } from './kind-spec.js'

// Electronics and phones. Same compact format as kinds-computing.ts.

const PHONE_MODELS = 'for iPhone 15, for iPhone 15 Pro Max, for Galaxy S24, for Galaxy S24 Ultra, for Pixel 8, for Pixel 8 Pro, for iPhone 14'

export const MOBILE_KINDS: Record<string, KindSpec> = {
  phone: {
    brands: 'Samsung: Galaxy S24, Galaxy S24 Ultra, Galaxy S24+, Galaxy A55, Galaxy A35, Galaxy S23 FE | Apple: iPhone 15, iPhone 15 Plus, iPhone 15 Pro, iPhone 15 Pro Max, iPhone 14 | Google: Pixel 8, Pixel 8 Pro, Pixel 8a, Pixel 9 Pro | OnePlus: 12, 12R, Nord 4, Nord CE4 | Xiaomi: 14 Ultra, Redmi Note 13 Pro, Poco X6 Pro | Motorola: Edge 50 Pro, Moto G84, Moto G Power | Nothing: Phone (2), Phone (2a) | Sony: Xperia 1 VI, Xperia 10 VI',
    nouns: ', 5G Smartphone, Unlocked Smartphone, Dual SIM',
    variants: ['128GB, 256GB, 512GB, 1TB', 'Titanium Black, Phantom Silver, Midnight Blue, Mint Green, Cream, Graphite, Lavender'],
    tiered: true,
    price: [149, 1399],
    weight: [0.15, 0.24],
    size: [16, 7.6, 0.8],
    features: 'OLED display, 120Hz refresh rate, 5000 mAh battery, triple camera system, 45W fast charging, wireless charging, IP68 water resistance, 5G connectivity, optical image stabilization, seven years of OS updates',
    uses: 'mobile photography, gaming on the go, streaming video, everyday productivity, travel'
  },
  foldable: {
    brands: 'Samsung: Galaxy Z Fold6, Galaxy Z Flip6, Galaxy Z Fold5 | Google: Pixel Fold, Pixel 9 Pro Fold | Motorola: Razr 50 Ultra, Razr 2024 | OnePlus: Open | Honor: Magic V2',
    nouns: ', Foldable Smartphone, 5G Foldable',
    variants: ['256GB, 512GB, 1TB', 'Silver Shadow, Navy, Pink, Phantom Black, Mint'],
    tiered: true,
    price: [699, 1999],
    weight: [0.18, 0.26],
    size: [15.5, 13, 1.3],
    features: 'foldable Dynamic AMOLED display, flex mode hinge, cover screen, S Pen support, IPX8 water resistance, multitasking split screen',
    uses: 'productivity on the go, hands-free video calls, compact carry, multitasking'
  },
  basic_phone: {
    brands: 'Nokia: 2780 Flip, 105, 3210 | Alcatel: Go Flip 4, MyFlip 2 | Jitterbug: Flip2 | Kyocera: DuraXV Extreme',
    nouns: 'Flip Phone, Basic Phone, Feature Phone',
    variants: ['Blue, Black, Red, Yellow'],
    price: [19, 199],
    weight: [0.08, 0.15],
    size: [11, 5.5, 1.9],
    features: 'week-long battery, large physical keys, loud speaker, hearing aid compatible, emergency button, 4G calling',
    uses: 'seniors, kids first phone, digital detox, backup phone'
  },
  phone_case: {
    brands: 'OtterBox: Defender Series, Symmetry Series, Commuter Series | Spigen: Tough Armor, Ultra Hybrid, Liquid Air | Apple: Silicone Case with MagSafe, FineWoven Case | Casetify: Impact Case | Speck: Presidio2 Grip | ESR: Classic Hybrid',
    nouns: 'Case, Protective Case, MagSafe Case',
    variants: [PHONE_MODELS, 'Black, Clear, Navy, Pink, Olive'],
    price: [9, 69],
    weight: [0.03, 0.08],
    size: [16, 8, 1.2],
    features: 'military-grade drop protection, raised camera lip, built-in MagSafe magnets, anti-yellowing clear back, grippy textured sides, wireless charging compatible',
    uses: 'daily protection, outdoor adventures, keeping resale value, showing off your phone color'
  },
  screen_protector: {
    brands: 'ZAGG: InvisibleShield Glass Elite, InvisibleShield Glass XTR3 | Spigen: GlasTR EZ Fit, Neo Flex | ESR: Armorite Tempered Glass | Belkin: UltraGlass 2 | amFilm: OneTouch Glass',
    nouns: 'Screen Protector, Tempered Glass Screen Protector, Privacy Screen Protector',
    variants: [PHONE_MODELS, '1-Pack, 2-Pack, 3-Pack'],
    price: [7, 49],
    weight: [0.01, 0.05],
    size: [17, 9, 0.2],
    features: '9H hardness, bubble-free install tray, oleophobic coating, case friendly edges, full-screen coverage, blue light filter',
    uses: 'scratch protection, privacy in public, shatter protection, kids phones'
  },
  phone_mount: {
    brands: 'iOttie: Easy One Touch 5, Velox Pro | Belkin: BoostCharge Pro Car Mount | Anker: 613 Magnetic Car Mount | Lamicall: Dashboard Holder | ESR: HaloLock Magnetic Mount | Peak Design: Car Mount',
    nouns: 'Car Phone Mount, Magnetic Car Mount, Phone Holder',
    variants: ['Dashboard, Air Vent, Windshield, Cup Holder', 'Black, Silver'],
    price: [12, 89],
    weight: [0.1, 0.35],
    size: [12, 9, 8],
    features: 'one-touch locking, MagSafe magnetic alignment, 15W wireless charging, 360-degree rotation, strong suction gel pad',
    uses: 'navigation while driving, rideshare drivers, road trips, hands-free calls'
  },
  phone_gimbal: {
    brands: 'DJI: Osmo Mobile 6, Osmo Mobile SE | Insta360: Flow, Flow Pro | Zhiyun: Smooth 5S, Smooth Q4 | Hohem: iSteady M6 | Joby: GripTight Pro TelePod',
    nouns: 'Phone Gimbal Stabilizer, Selfie Stick Tripod, Smartphone Stabilizer',
    variants: ['Gray, White, Black', 'Standard, Combo Kit'],
    price: [19, 179],
    weight: [0.2, 0.5],
    size: [28, 11, 6],
    features: '3-axis stabilization, AI face tracking, built-in extension rod, magnetic phone clamp, gesture control, foldable design',
    uses: 'vlogging, travel videos, smooth cinematic shots, group selfies'
  },
  powerbank: {
    brands: 'Anker: PowerCore 10000, 737 Power Bank, Nano Power Bank, Prime 27650 | Belkin: BoostCharge Pro | Mophie: Powerstation Plus | UGREEN: Nexode 20000 | Baseus: Blade 2 | INIU: BI-B41',
    nouns: 'Power Bank, Portable Charger, Magnetic Battery Pack',
    variants: ['5,000mAh, 10,000mAh, 20,000mAh, 26,800mAh', 'Black, White, Blue'],
    tiered: true,
    price: [15, 179],
    weight: [0.1, 0.6],
    size: [15, 7, 2.5],
    features: '65W USB-C Power Delivery, charges a laptop, smart digital display, pass-through charging, airline-approved capacity, two devices at once',
    uses: 'travel, festivals, commuting, camping, emergency power'
  },
  charger: {
    brands: 'Anker: Nano 3 30W, Prime 67W GaN, 735 Charger, 313 Wall Charger | Apple: 20W USB-C Power Adapter, 35W Dual USB-C Port Adapter | Samsung: 45W Super Fast Charger | UGREEN: Nexode 100W | Belkin: BoostCharge Pro 108W | Spigen: ArcStation Pro',
    nouns: 'USB-C Charger, GaN Wall Charger, Fast Charger',
    variants: ['1-Port, 2-Port, 3-Port, 4-Port', 'White, Black'],
    tiered: true,
    price: [12, 99],
    weight: [0.03, 0.3],
    size: [5, 4, 3],
    features: 'GaN technology, USB Power Delivery 3.0, foldable plug, charges a laptop and phone together, overheat protection, compact travel size',
    uses: 'charging phones and laptops, travel, desk setups, replacing bulky bricks'
  },
  wireless_charger: {
    brands: 'Belkin: BoostCharge Pro 3-in-1, BoostCharge Pro 2-in-1 | Anker: 3-in-1 Cube with MagSafe, 313 Wireless Charger Pad | Apple: MagSafe Charger | Mophie: 3-in-1 Travel Charger | Nomad: Base One Max | ESR: HaloLock 3-in-1',
    nouns: 'Wireless Charger, Wireless Charging Stand, Charging Station',
    variants: ['Black, White, Graphite', 'with Adapter, Cable Only'],
    price: [15, 149],
    weight: [0.1, 0.6],
    size: [14, 10, 10],
    features: 'Qi2 certified 15W charging, MagSafe alignment, charges phone watch and earbuds, sleep-friendly LED, foldable travel design',
    uses: 'nightstands, desks, travel, charging multiple Apple devices'
  },
  cable: {
    brands: 'Anker: PowerLine III, 765 USB-C to USB-C | Apple: USB-C Woven Charge Cable, Thunderbolt 4 Pro Cable | Belkin: BoostCharge Braided | UGREEN: USB-C to Lightning | Cable Matters: USB4 Cable | Amazon Basics: USB-C to USB-A',
    nouns: 'Charging Cable, Braided Cable, Fast Charging Cable',
    variants: ['3 ft, 6 ft, 10 ft', '1-Pack, 2-Pack, 3-Pack'],
    price: [6, 129],
    weight: [0.02, 0.15],
    size: [12, 8, 2],
    features: '100W power delivery, 40Gbps data transfer, double-braided nylon, 25,000-bend lifespan, MFi certified, 8K video output',
    uses: 'charging phones and laptops, data transfer, car charging, external monitors'
  },
  smartwatch: {
    brands: 'Apple: Watch Series 9, Watch Ultra 2, Watch SE | Samsung: Galaxy Watch7, Galaxy Watch Ultra, Galaxy Watch6 Classic | Google: Pixel Watch 3 | Garmin: Venu 3, Forerunner 265, Fenix 7 Pro, Epix Pro | Amazfit: GTR 4, Balance | Fossil: Gen 6',
    nouns: ', Smartwatch, GPS Smartwatch',
    variants: ['41mm, 45mm, 47mm, 49mm', 'Midnight, Starlight, Silver, Graphite, Pink Sand'],
    tiered: true,
    price: [129, 899],
    weight: [0.03, 0.08],
    size: [4.5, 3.8, 1.1],
    features: 'always-on AMOLED display, heart rate and ECG monitoring, sleep tracking, built-in GPS, contactless payments, blood oxygen sensor, multi-day battery, water resistant to 50m',
    uses: 'fitness tracking, running, swimming, staying connected, health monitoring'
  },
  fitness_tracker: {
    brands: 'Fitbit: Charge 6, Inspire 3, Luxe | Garmin: Vivosmart 5, Vivoactive 5 | Xiaomi: Smart Band 8 | WHOOP: 4.0 | Oura: Ring Gen3 | Amazfit: Band 7',
    nouns: 'Fitness Tracker, Activity Tracker, Health Tracker',
    variants: ['Black, Coral, Porcelain, Sage, Silver', 'Small, Large'],
    price: [29, 349],
    weight: [0.01, 0.04],
    size: [4, 2.2, 1.1],
    features: 'heart rate monitoring, sleep score, stress tracking, 7-day battery, swimproof, built-in GPS, SpO2 sensor',
    uses: 'step counting, sleep improvement, workouts, wellness goals'
  },
  ereader: {
    brands: 'Amazon: Kindle Paperwhite, Kindle Scribe, Kindle Oasis, Kindle | Kobo: Libra 2, Clara 2E, Sage | Boox: Note Air3, Palma | PocketBook: Era',
    nouns: 'E-Reader, , Signature Edition',
    variants: ['8GB, 16GB, 32GB, 64GB', 'Black, Denim, Agave Green'],
    tiered: true,
    price: [99, 449],
    weight: [0.16, 0.45],
    size: [17.5, 12.5, 0.8],
    features: 'glare-free E Ink display, adjustable warm light, weeks of battery life, waterproof IPX8, Audible support, handwritten notes',
    uses: 'reading in bed, beach reading, travel, students, audiobooks'
  },
  drone: {
    brands: 'DJI: Mini 4 Pro, Air 3, Mavic 3 Pro, Avata 2, Mini 3 | Autel: EVO Lite+, EVO Nano+ | Skydio: 2+ | Potensic: Atom SE | Holy Stone: HS720E',
    nouns: 'Camera Drone, Drone, FPV Drone',
    variants: ['Standard, Fly More Combo, Fly More Combo Plus', 'with RC-N2, with DJI RC 2'],
    tiered: true,
    price: [199, 2199],
    weight: [0.24, 1],
    size: [25, 20, 8],
    features: '4K HDR video, omnidirectional obstacle sensing, 34-minute flight time, under 249g takeoff weight, 20km video transmission, ActiveTrack subject tracking, 3-axis gimbal',
    uses: 'aerial photography, travel videos, real estate shoots, FPV flying'
  },
  power_station: {
    brands: 'EcoFlow: River 2 Pro, Delta 2, Delta Pro | Jackery: Explorer 1000 Plus, Explorer 300 | Anker: SOLIX C1000, SOLIX F3800 | Bluetti: AC180, EB3A | Goal Zero: Yeti 1500X',
    nouns: 'Portable Power Station, Solar Generator, Power Station',
    variants: ['256Wh, 512Wh, 1024Wh, 2048Wh', 'without Solar Panel, with 100W Solar Panel, with 200W Solar Panel'],
    tiered: true,
    price: [199, 2999],
    weight: [3.5, 28],
    size: [35, 25, 28],
    features: 'LiFePO4 battery, pure sine wave AC outlets, solar charging input, 70-minute fast recharge, UPS mode, app control',
    uses: 'camping, power outages, RV trips, off-grid cabins, job sites'
  },
  battery: {
    brands: 'Duracell: Optimum AA, Coppertop AAA, Lithium Coin CR2032 | Energizer: MAX AA, Ultimate Lithium AA, Recharge Universal | Panasonic: eneloop AA, eneloop pro AAA | Amazon Basics: High-Capacity Rechargeable | EBL: 2800mAh Rechargeable',
    nouns: 'Batteries, Rechargeable Batteries, Battery Pack',
    variants: ['4-Pack, 8-Pack, 16-Pack, 24-Pack', 'with Charger, Batteries Only'],
    tiered: true,
    price: [5, 69],
    weight: [0.05, 0.6],
    size: [10, 8, 2],
    features: 'up to 2,100 recharge cycles, 10-year shelf life, leak-resistant design, pre-charged with solar energy, low self-discharge',
    uses: 'remote controls, game controllers, toys, flashlights, smoke detectors'
  }
}
