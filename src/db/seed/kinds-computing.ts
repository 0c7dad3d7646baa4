import type { KindSpec } from './kind-spec.js'

// Vocabularies are compact strings ('Brand: Line, Line | Brand: ...', comma
// lists) parsed once by catalog-kinds.ts; prices are whole dollars, weights
// kilograms, sizes centimetres.

const COLORS = 'Black, Silver, Space Gray, White'

export const COMPUTING_KINDS: Record<string, KindSpec> = {
  laptop: {
    brands: 'Apple: MacBook Air 13, MacBook Air 15, MacBook Pro 14, MacBook Pro 16 | Dell: XPS 13, XPS 14, XPS 16, Inspiron 15, Latitude 7440 | HP: Spectre x360 14, Envy 16, Pavilion Plus 14, EliteBook 840 G11 | Lenovo: ThinkPad X1 Carbon Gen 12, Yoga Slim 7i, IdeaPad Slim 5, ThinkPad T14s | ASUS: Zenbook 14 OLED, Vivobook S 15 | Microsoft: Surface Laptop 7, Surface Laptop Go 3 | Acer: Swift Go 14, Aspire 5',
    nouns: ', Laptop, Thin and Light Laptop, Business Laptop',
    variants: ['8GB RAM 256GB SSD, 16GB RAM 512GB SSD, 32GB RAM 1TB SSD', COLORS],
    tiered: true,
    price: [449, 2499],
    weight: [1.1, 2.2],
    size: [31, 22, 1.6],
    features: 'backlit keyboard, all-day battery life, Intel Core Ultra processor, OLED touch display, Thunderbolt 4 ports, Wi-Fi 7, fingerprint reader, 1080p webcam, aluminium unibody chassis, fast charging',
    uses: 'remote work, students, business travel, photo editing, everyday productivity'
  },
  gaming_laptop: {
    brands: 'ASUS: ROG Strix G16, ROG Zephyrus G14, TUF Gaming A15 | MSI: Raider GE78, Katana 15, Stealth 16 | Razer: Blade 14, Blade 16 | Alienware: m16 R2, x16 R2 | Lenovo: Legion Pro 7i, Legion 5i | Acer: Predator Helios 16, Nitro V 15 | HP: Omen 16, Victus 15',
    nouns: 'Gaming Laptop, , 240Hz Gaming Laptop',
    variants: ['RTX 4060 16GB 512GB, RTX 4070 16GB 1TB, RTX 4080 32GB 1TB, RTX 4090 32GB 2TB', 'Eclipse Gray, Black, Volt Green'],
    tiered: true,
    price: [899, 3999],
    weight: [1.7, 3.2],
    size: [36, 27, 2.5],
    features: 'NVIDIA GeForce RTX graphics, 240Hz QHD display, per-key RGB keyboard, vapor chamber cooling, MUX switch, DDR5 memory, PCIe Gen4 SSD, Dolby Atmos speakers',
    uses: 'AAA gaming, esports, game streaming, 3D rendering, video editing'
  },
  chromebook: {
    brands: 'Google: Pixelbook Go | Acer: Chromebook Plus 515, Chromebook Spin 714 | ASUS: Chromebook CX34, Chromebook Flip CX5 | Lenovo: IdeaPad Flex 5i Chromebook, Chromebook Duet | HP: Chromebook x360 14, Chromebook Plus 14',
    nouns: ', Chromebook, Touchscreen Chromebook',
    variants: ['4GB 64GB, 8GB 128GB, 8GB 256GB', 'Silver, Mineral Gray, Blue'],
    tiered: true,
    price: [199, 699],
    weight: [1.1, 1.7],
    size: [32, 22, 1.8],
    features: 'ChromeOS with automatic updates, 10-hour battery, 360-degree hinge, Google AI features, USB-C charging, spill-resistant keyboard',
    uses: 'school, browsing, video calls, cloud apps, families'
  },
  desktop: {
    brands: 'Dell: XPS Desktop 8960, Alienware Aurora R16, Inspiron 3030 | HP: Omen 45L, Pavilion Desktop TP01, Envy Desktop | Lenovo: Legion Tower 7i, IdeaCentre 5i | ASUS: ROG Strix G16CH | CyberPowerPC: Gamer Supreme, Gamer Xtreme VR | Corsair: Vengeance i7500',
    nouns: 'Desktop PC, Gaming Desktop, Tower PC',
    variants: ['16GB 512GB SSD, 32GB 1TB SSD, 64GB 2TB SSD', 'RTX 4060, RTX 4070 Super, RTX 4080 Super'],
    tiered: true,
    price: [549, 3999],
    weight: [7, 18],
    size: [45, 22, 47],
    features: 'liquid CPU cooling, tempered glass side panel, tool-less upgrades, Wi-Fi 6E, DDR5 memory, 850W power supply, RGB fans',
    uses: 'gaming, content creation, home office, streaming, software development'
  },
  aio: {
    brands: 'Apple: iMac 24 | HP: All-in-One 27, Envy Move | Dell: Inspiron 24 All-in-One, OptiPlex 7410 | Lenovo: IdeaCentre AIO 5i, Yoga AIO 9i | Microsoft: Surface Studio 2+',
    nouns: 'All-in-One Computer, All-in-One Desktop',
    variants: ['8GB 256GB, 16GB 512GB, 32GB 1TB', 'Blue, Green, Silver, Pink, Black'],
    tiered: true,
    price: [599, 2999],
    weight: [4.5, 9],
    size: [54, 20, 46],
    features: '4.5K Retina display, 1080p FaceTime camera, studio-quality microphones, wireless keyboard and mouse, slim design, spatial audio speakers',
    uses: 'family computing, home office, video calls, photo libraries'
  },
  mini_pc: {
    brands: 'Apple: Mac mini M2, Mac mini M4 | Intel: NUC 13 Pro | Beelink: SER7, EQ12 | Minisforum: UM790 Pro, MS-01 | ASUS: ExpertCenter PN53 | GMKtec: NucBox K8',
    nouns: 'Mini PC, Compact Desktop',
    variants: ['16GB 512GB, 32GB 1TB, 64GB 2TB', 'Silver, Black'],
    tiered: true,
    price: [199, 1499],
    weight: [0.5, 1.4],
    size: [13, 13, 5],
    features: 'dual HDMI output, USB4 port, 2.5G Ethernet, near-silent fan, VESA mount, Wi-Fi 6E',
    uses: 'home theater PC, office work, home lab servers, small desks'
  },
  tablet: {
    brands: 'Apple: iPad 10th Gen, iPad Air 11, iPad Pro 13, iPad mini | Samsung: Galaxy Tab S9, Galaxy Tab S9 FE, Galaxy Tab A9+ | Lenovo: Tab P12, Tab M11 | Amazon: Fire HD 10, Fire Max 11 | Microsoft: Surface Pro 11 | OnePlus: Pad 2 | Xiaomi: Pad 6',
    nouns: ', Tablet, Wi-Fi Tablet',
    variants: ['64GB, 128GB, 256GB, 512GB', 'Space Gray, Silver, Blue, Graphite, Mint'],
    tiered: true,
    price: [99, 1599],
    weight: [0.3, 0.7],
    size: [25, 17, 0.7],
    features: 'Liquid Retina display, stylus support, keyboard cover compatible, quad speakers, USB-C, face unlock, 12-hour battery',
    uses: 'reading, streaming, note taking, drawing, kids entertainment'
  },
  drawing_tablet: {
    brands: 'Wacom: Intuos Pro, Cintiq 16, One by Wacom | XP-Pen: Artist 16 Pro, Deco Pro | Huion: Kamvas 13, Inspiroy H640P | Xencelabs: Pen Tablet Medium',
    nouns: 'Drawing Tablet, Pen Display, Graphics Tablet',
    variants: ['Small, Medium, Large', 'Black, Gray'],
    tiered: true,
    price: [39, 1299],
    weight: [0.3, 2],
    size: [35, 23, 1.5],
    features: '8192 levels of pressure sensitivity, battery-free pen, tilt recognition, express keys, laminated screen, wide color gamut',
    uses: 'digital illustration, photo retouching, animation, online teaching'
  },
  monitor: {
    brands: 'Dell: UltraSharp U2723QE, S2722DGM, Alienware AW2725DF | LG: UltraGear 27GP850, UltraFine 32UN880 | Samsung: Odyssey G7, Odyssey OLED G8, ViewFinity S8 | ASUS: ROG Swift PG27AQDM, ProArt PA279CRV, TUF Gaming VG27AQ | BenQ: MOBIUZ EX2710Q, PD2706U | Gigabyte: M27Q | AOC: 24G2SP',
    nouns: 'Monitor, Gaming Monitor, IPS Monitor',
    variants: ['24-inch, 27-inch, 32-inch, 34-inch Ultrawide', 'QHD 165Hz, 4K UHD 60Hz, 4K 144Hz, FHD 240Hz'],
    tiered: true,
    price: [129, 1299],
    weight: [3, 9],
    size: [61, 21, 45],
    features: 'HDR400, 1ms response time, AMD FreeSync Premium, USB-C with 90W power delivery, height-adjustable stand, factory color calibration, eye-care flicker-free backlight',
    uses: 'gaming, photo editing, office productivity, programming, dual-monitor setups'
  },
  portable_monitor: {
    brands: 'ASUS: ZenScreen MB16ACV, ROG Strix XG16 | Lenovo: ThinkVision M14 | ViewSonic: VA1655 | Arzopa: A1 Gamut | UPERFECT: UStation Delta',
    nouns: 'Portable Monitor, USB-C Portable Display',
    variants: ['14-inch, 15.6-inch, 16-inch, 17.3-inch', 'FHD 60Hz, FHD 144Hz, 2.5K 120Hz'],
    tiered: true,
    price: [89, 449],
    weight: [0.6, 1.2],
    size: [36, 23, 1],
    features: 'single-cable USB-C connection, kickstand cover, mini HDMI input, built-in speakers, slim bezels',
    uses: 'laptop second screen, travel, console gaming on the go, presentations'
  },
  gpu: {
    brands: 'ASUS: ROG Strix GeForce RTX 4090, TUF Gaming GeForce RTX 4070 Ti Super, Dual Radeon RX 7800 XT | MSI: GeForce RTX 4080 Super Gaming X Slim, GeForce RTX 4060 Ventus 2X | Gigabyte: GeForce RTX 4070 Super Windforce OC, Radeon RX 7900 XTX Gaming OC | Sapphire: Pulse Radeon RX 7600 | Zotac: Gaming GeForce RTX 4060 Ti Twin Edge | PNY: GeForce RTX 4070 Verto',
    nouns: 'Graphics Card, , GPU',
    variants: ['8GB GDDR6, 12GB GDDR6X, 16GB GDDR6X, 24GB GDDR6X', 'OC Edition, Standard'],
    tiered: true,
    price: [249, 1999],
    weight: [0.7, 2.4],
    size: [30, 14, 6],
    features: 'ray tracing cores, DLSS 3 frame generation, triple-fan cooling, dual BIOS, PCIe 4.0 x16, HDMI 2.1 output, reinforced backplate',
    uses: '4K gaming, AI workloads, 3D rendering, video encoding'
  },
  cpu: {
    brands: 'AMD: Ryzen 9 7950X3D, Ryzen 7 7800X3D, Ryzen 5 7600X, Ryzen 7 9700X | Intel: Core i9-14900K, Core i7-14700K, Core i5-14600K, Core i5-13400F, Core Ultra 9 285K',
    nouns: 'Desktop Processor, Processor, Unlocked Processor',
    variants: ['Boxed, Tray', 'with Cooler, without Cooler'],
    price: [149, 699],
    weight: [0.1, 0.5],
    size: [12, 12, 7],
    features: 'boost clock up to 5.7 GHz, 3D V-Cache, unlocked multiplier, PCIe 5.0 support, DDR5 memory support, integrated graphics',
    uses: 'gaming builds, workstation builds, streaming, code compilation'
  },
  ram: {
    brands: 'Corsair: Vengeance RGB DDR5, Dominator Titanium DDR5, Vengeance LPX DDR4 | G.Skill: Trident Z5 RGB, Ripjaws S5, Flare X5 | Kingston: Fury Beast DDR5, Fury Renegade | Crucial: Pro DDR5, DDR4 Desktop | TeamGroup: T-Force Delta RGB',
    nouns: 'Desktop Memory, Memory Kit',
    variants: ['16GB (2x8GB), 32GB (2x16GB), 64GB (2x32GB), 96GB (2x48GB)', '5600MHz CL36, 6000MHz CL30, 6400MHz CL32, 3200MHz CL16'],
    tiered: true,
    price: [39, 399],
    weight: [0.05, 0.2],
    size: [14, 4, 1],
    features: 'Intel XMP 3.0 profiles, AMD EXPO support, aluminium heat spreader, addressable RGB lighting, lifetime warranty',
    uses: 'gaming PCs, workstations, memory upgrades, overclocking'
  },
  motherboard: {
    brands: 'ASUS: ROG Strix B650-A Gaming WiFi, TUF Gaming X670E-Plus, Prime Z790-P | MSI: MAG B760 Tomahawk WiFi, MPG X670E Carbon, PRO B650M-A | Gigabyte: B650 Aorus Elite AX, Z790 Aorus Master | ASRock: B650M Pro RS, X670E Taichi',
    nouns: 'Motherboard, ATX Motherboard, Micro-ATX Motherboard',
    variants: ['AM5, LGA1700, LGA1851', 'DDR5, DDR4'],
    price: [119, 699],
    weight: [0.8, 1.8],
    size: [30, 24, 5],
    features: 'PCIe 5.0 M.2 slot, Wi-Fi 6E and Bluetooth 5.3, 2.5G LAN, reinforced PCIe slot, BIOS flashback, USB 3.2 Gen 2x2 front header',
    uses: 'custom PC builds, gaming rigs, workstation builds'
  },
  psu: {
    brands: 'Corsair: RM850x, RM1000e, SF750 | Seasonic: Focus GX-850, Vertex GX-1000, Prime TX-1300 | be quiet!: Pure Power 12 M, Straight Power 12 | EVGA: SuperNOVA 850 G7 | Cooler Master: MWE Gold 750 V2',
    nouns: 'Power Supply, Modular Power Supply, ATX 3.0 PSU',
    variants: ['650W, 750W, 850W, 1000W, 1200W', '80 Plus Gold, 80 Plus Platinum'],
    tiered: true,
    price: [69, 399],
    weight: [1.4, 3],
    size: [16, 15, 9],
    features: 'fully modular cables, native 12VHPWR connector, zero-RPM fan mode, Japanese capacitors, 10-year warranty',
    uses: 'gaming PC builds, high-end GPUs, quiet workstations'
  },
  pc_case: {
    brands: 'Lian Li: O11 Dynamic EVO, Lancool 216 | NZXT: H5 Flow, H9 Elite, H6 Flow | Fractal Design: North, Meshify 2 Compact, Torrent | Corsair: 4000D Airflow, 5000X RGB | Phanteks: NV7, Eclipse G360A | Cooler Master: MasterBox TD500 Mesh',
    nouns: 'Mid-Tower Case, PC Case, ATX Case',
    variants: ['Black, White, Snow', 'Tempered Glass, Mesh Front'],
    price: [69, 249],
    weight: [6, 14],
    size: [47, 23, 46],
    features: 'tempered glass side panel, high-airflow mesh front, 360mm radiator support, cable management channels, USB-C front port, pre-installed fans',
    uses: 'gaming builds, showcase builds, quiet office PCs'
  },
  ssd: {
    brands: 'Samsung: 990 Pro, 990 EVO, 870 EVO | WD: Black SN850X, Blue SN580 | Crucial: T705, P3 Plus, MX500 | Kingston: Fury Renegade, NV2 | Seagate: FireCuda 530 | SK hynix: Platinum P41 | Sabrent: Rocket 4 Plus',
    nouns: 'NVMe SSD, Internal SSD, M.2 SSD',
    variants: ['500GB, 1TB, 2TB, 4TB', 'PCIe 4.0, PCIe 5.0, with Heatsink'],
    tiered: true,
    price: [39, 449],
    weight: [0.01, 0.06],
    size: [8, 2.2, 0.3],
    features: 'read speeds up to 7,450 MB/s, DRAM cache, PS5 compatible, five-year warranty, TLC NAND, dynamic thermal guard',
    uses: 'PC upgrades, PS5 storage expansion, gaming load times, video editing scratch disks'
  },
  external_drive: {
    brands: 'WD: My Passport, Elements Desktop, My Book | Seagate: Expansion Portable, One Touch, Expansion Desktop | Samsung: T7 Shield, T9 | SanDisk: Extreme Portable SSD, Extreme PRO Portable SSD | LaCie: Rugged Mini | Toshiba: Canvio Basics',
    nouns: 'External Hard Drive, Portable SSD, External Drive',
    variants: ['1TB, 2TB, 4TB, 5TB, 8TB', 'Black, Blue, Red, Gray'],
    tiered: true,
    price: [49, 399],
    weight: [0.05, 1],
    size: [11, 8, 1.5],
    features: 'USB-C 3.2 Gen 2, drop-resistant rubber shell, hardware encryption, automatic backup software, Mac and Windows compatible',
    uses: 'backups, photo archives, moving large projects, console game libraries'
  },
  flash_drive: {
    brands: 'SanDisk: Ultra Flair, Extreme Go, Ultra Dual Drive Luxe | Samsung: BAR Plus, FIT Plus | Kingston: DataTraveler Exodia, IronKey Vault Privacy 50 | PNY: Turbo Attache 4 | Lexar: JumpDrive V400',
    nouns: 'USB Flash Drive, USB-C Flash Drive, Thumb Drive',
    variants: ['32GB, 64GB, 128GB, 256GB, 512GB', 'Silver, Black, Blue'],
    tiered: true,
    price: [6, 89],
    weight: [0.01, 0.03],
    size: [4, 1.5, 0.8],
    features: 'USB 3.2 speeds, metal casing, key ring loop, dual USB-A and USB-C connectors, password protection',
    uses: 'file transfers, bootable installers, school projects, quick backups'
  },
  memory_card: {
    brands: 'SanDisk: Extreme microSDXC, Extreme PRO SDXC | Samsung: EVO Select microSDXC, PRO Plus microSDXC | Lexar: Professional 1667x SDXC | Kingston: Canvas Go! Plus | ProGrade: V90 SDXC',
    nouns: 'Memory Card, UHS-I Card, UHS-II Card',
    variants: ['64GB, 128GB, 256GB, 512GB, 1TB', 'with Adapter, without Adapter'],
    tiered: true,
    price: [9, 199],
    weight: [0.01, 0.02],
    size: [3, 2.4, 0.2],
    features: 'V30 video speed class, A2 app performance, 4K UHD recording, waterproof and shockproof, read speeds up to 200 MB/s',
    uses: 'cameras, drones, Nintendo Switch storage, action cameras, smartphones'
  },
  keyboard: {
    brands: 'Logitech: MX Keys S, K380, MX Mechanical Mini | Keychron: K2 Pro, Q1 Max, V3 | Apple: Magic Keyboard | Microsoft: Ergonomic Keyboard | Das Keyboard: 4 Professional | Corsair: K65 Plus Wireless',
    nouns: 'Wireless Keyboard, Mechanical Keyboard, Keyboard',
    variants: ['Full Size, TKL, 75%, 65%', 'Graphite, Pale Gray, White'],
    price: [29, 229],
    weight: [0.4, 1.2],
    size: [43, 13, 3],
    features: 'hot-swappable switches, multi-device Bluetooth pairing, backlit keys, USB-C charging, quiet tactile switches, Mac and Windows layouts',
    uses: 'typing all day, programming, home office, multi-device desks'
  },
  mouse: {
    brands: 'Logitech: MX Master 3S, MX Anywhere 3S, Lift Vertical, M720 Triathlon | Apple: Magic Mouse | Microsoft: Bluetooth Ergonomic Mouse | Razer: Pro Click | Anker: Vertical Ergonomic Mouse',
    nouns: 'Wireless Mouse, Ergonomic Mouse, Bluetooth Mouse',
    variants: ['Graphite, Pale Gray, Rose, Black, White'],
    price: [19, 129],
    weight: [0.08, 0.15],
    size: [12, 8, 5],
    features: 'silent clicks, 8K DPI sensor that tracks on glass, MagSpeed scroll wheel, multi-device switching, 70-day battery',
    uses: 'office work, travel, creative workflows, ergonomic comfort'
  },
  router: {
    brands: 'TP-Link: Archer AX55, Archer BE800, Archer AX21 | ASUS: RT-AX88U Pro, ROG Rapture GT-AXE16000, RT-BE96U | Netgear: Nighthawk RAX54S, Nighthawk RS700S | Linksys: Hydra Pro 6E | Ubiquiti: UniFi Dream Router',
    nouns: 'Wi-Fi Router, Gaming Router, Dual-Band Router',
    variants: ['Wi-Fi 6, Wi-Fi 6E, Wi-Fi 7', 'AX3000, AX5400, BE9300, BE19000'],
    tiered: true,
    price: [59, 699],
    weight: [0.4, 2],
    size: [27, 15, 5],
    features: '2.5G WAN port, OFDMA and MU-MIMO, WPA3 security, parental controls, VPN server, app-based setup, QoS for gaming',
    uses: 'whole-home streaming, online gaming, working from home, smart home devices'
  },
  mesh: {
    brands: 'Eero: Pro 6E, 6+, Max 7 | Google: Nest Wifi Pro | TP-Link: Deco X55, Deco XE75, Deco BE85 | Netgear: Orbi RBK763S, Orbi 970 | ASUS: ZenWiFi XT9 | Linksys: Velop Pro 7',
    nouns: 'Mesh Wi-Fi System, Whole Home Mesh System',
    variants: ['1-Pack, 2-Pack, 3-Pack', 'Wi-Fi 6, Wi-Fi 6E, Wi-Fi 7'],
    tiered: true,
    price: [99, 1499],
    weight: [0.4, 2.5],
    size: [12, 12, 20],
    features: 'seamless roaming, coverage up to 6,000 sq ft, automatic updates, wired Ethernet backhaul, built-in Zigbee hub, guest network',
    uses: 'large homes, multi-floor coverage, eliminating dead zones, smart homes'
  },
  network_switch: {
    brands: 'TP-Link: TL-SG108E, TL-SG3428 | Netgear: GS308, GS316PP, MS305 | Ubiquiti: UniFi Switch Lite 8 PoE, UniFi Switch Pro 24 | Cisco: CBS250-8T-D',
    nouns: 'Gigabit Switch, Network Switch, PoE Switch',
    variants: ['5-Port, 8-Port, 16-Port, 24-Port', 'Unmanaged, Smart Managed'],
    tiered: true,
    price: [19, 599],
    weight: [0.3, 3.5],
    size: [24, 12, 3],
    features: 'fanless silent design, PoE+ budget, VLAN support, metal housing, plug-and-play setup, rack mountable',
    uses: 'home labs, small offices, security camera networks, gaming rooms'
  },
  printer: {
    brands: 'HP: OfficeJet Pro 9125e, LaserJet Pro M404n, ENVY 6055e, Smart Tank 7602 | Canon: PIXMA G6020, imageCLASS MF273dw, PIXMA TS6420a | Epson: EcoTank ET-2850, EcoTank ET-4850, WorkForce WF-2960 | Brother: HL-L2350DW, MFC-J4335DW | Fujitsu: ScanSnap iX1600',
    nouns: 'All-in-One Printer, Wireless Printer, Laser Printer, Document Scanner',
    variants: ['White, Black, Gray'],
    price: [79, 699],
    weight: [3, 15],
    size: [42, 36, 25],
    features: 'automatic duplex printing, refillable ink tanks, mobile printing, automatic document feeder, Wi-Fi Direct, low cost per page',
    uses: 'home office, school assignments, small business, photo printing, paperless filing'
  },
  webcam: {
    brands: 'Logitech: C920s Pro HD, Brio 4K, StreamCam, C270 | Razer: Kiyo Pro | Elgato: Facecam MK.2 | Anker: PowerConf C200 | Insta360: Link 2 | OBSBOT: Tiny 2',
    nouns: 'Webcam, Streaming Webcam, 4K Webcam',
    variants: ['Black, White, Graphite'],
    price: [24, 329],
    weight: [0.08, 0.2],
    size: [9, 3, 6],
    features: 'autofocus, HDR, stereo noise-cancelling microphones, privacy shutter, auto light correction, AI framing',
    uses: 'video calls, streaming, online classes, content creation'
  }
}
