import type { KindSpec } from './kind-spec.js'

// Cameras and gaming. Same compact format as kinds-computing.ts.

export const PLAY_KINDS: Record<string, KindSpec> = {
  camera: {
    brands: 'Sony: Alpha a7 IV, Alpha a7C II, Alpha a6700, ZV-E10 II | Canon: EOS R6 Mark II, EOS R8, EOS R50, EOS R5 | Nikon: Z6 III, Z8, Z fc, Z50 II | Fujifilm: X-T5, X100VI, X-S20 | Panasonic: Lumix S5 II, Lumix G9 II | OM System: OM-1 Mark II',
    nouns: 'Mirrorless Camera, Full-Frame Mirrorless Camera, ',
    variants: ['Body Only, with Kit Lens, Creator Kit', 'Black, Silver'],
    tiered: true,
    price: [599, 3999],
    weight: [0.4, 0.9],
    size: [13, 9.5, 8],
    features: 'in-body image stabilization, 4K 60p video, real-time eye autofocus, dual card slots, weather-sealed body, vari-angle touchscreen, 10 fps burst shooting',
    uses: 'portrait photography, travel, wildlife, weddings, video production'
  },
  dslr: {
    brands: 'Canon: EOS Rebel T7, EOS 90D, EOS 5D Mark IV | Nikon: D7500, D850, D3500, D780 | Pentax: K-3 Mark III, K-70',
    nouns: 'DSLR Camera, Digital SLR Camera',
    variants: ['Body Only, with 18-55mm Lens, Two Lens Kit', 'Black'],
    tiered: true,
    price: [449, 2999],
    weight: [0.5, 1],
    size: [14, 10.5, 7.7],
    features: 'optical viewfinder, 24MP APS-C sensor, long battery life, built-in Wi-Fi, 45-point autofocus, weather sealing',
    uses: 'learning photography, sports, wildlife, events'
  },
  action_cam: {
    brands: 'GoPro: HERO12 Black, HERO11 Black Mini, MAX | DJI: Osmo Action 4, Osmo Action 5 Pro, Osmo Pocket 3 | Insta360: X4, Ace Pro, GO 3 | Akaso: Brave 8',
    nouns: 'Action Camera, 360 Action Camera, Waterproof Action Camera',
    variants: ['Standard, Adventure Combo, Creator Bundle'],
    tiered: true,
    price: [99, 599],
    weight: [0.06, 0.2],
    size: [7, 5, 3.4],
    features: '5.3K video, HyperSmooth stabilization, waterproof to 33 ft, front selfie screen, 10-bit color, horizon lock, voice control',
    uses: 'surfing, mountain biking, skiing, travel vlogs, diving'
  },
  lens: {
    brands: 'Sigma: 35mm f/1.4 DG DN Art, 56mm f/1.4 DC DN Contemporary | Sony: FE 50mm f/1.8, FE 85mm f/1.8, FE 24mm f/1.4 GM | Canon: RF 50mm f/1.8 STM, RF 35mm f/1.8 Macro | Viltrox: AF 75mm f/1.2 | Tamron: 20mm f/2.8 Di III | Samyang: AF 35mm f/1.8',
    nouns: 'Prime Lens, Lens, Portrait Lens',
    variants: ['for Sony E, for Canon RF, for Nikon Z, for Fujifilm X'],
    price: [149, 1599],
    weight: [0.15, 0.8],
    size: [7.5, 7.5, 8],
    features: 'fast f/1.4 aperture, creamy bokeh, quiet stepping autofocus motor, weather-sealed mount, nano crystal coating, compact design',
    uses: 'portraits, street photography, low-light shooting, food photography'
  },
  zoom_lens: {
    brands: 'Tamron: 28-75mm f/2.8 Di III VXD G2, 70-180mm f/2.8, 18-300mm f/3.5-6.3 | Sigma: 24-70mm f/2.8 DG DN Art, 100-400mm f/5-6.3 | Sony: FE 24-105mm f/4 G, FE 70-200mm f/2.8 GM II | Canon: RF 24-105mm f/4L, RF 100-400mm | Nikon: Z 24-120mm f/4 S',
    nouns: 'Zoom Lens, Telephoto Zoom Lens, Standard Zoom Lens',
    variants: ['for Sony E, for Canon RF, for Nikon Z, for Fujifilm X'],
    price: [299, 2799],
    weight: [0.4, 1.5],
    size: [9, 9, 15],
    features: 'constant f/2.8 aperture, optical image stabilization, linear autofocus motor, moisture-resistant construction, zoom lock switch',
    uses: 'events, wildlife, sports, travel, weddings'
  },
  tripod: {
    brands: 'Manfrotto: Befree Advanced, 190X, Element Traveller | Peak Design: Travel Tripod | DJI: RS 4, RS 4 Mini | Joby: GorillaPod 3K | Zhiyun: Weebill 3S | Benro: Rhino',
    nouns: 'Travel Tripod, Camera Gimbal Stabilizer, Carbon Fiber Tripod',
    variants: ['Aluminum, Carbon Fiber', 'with Ball Head, Standalone'],
    tiered: true,
    price: [29, 699],
    weight: [0.5, 2.2],
    size: [45, 10, 10],
    features: 'quick-release plate, ball head with independent pan, flip leg locks, 3-axis stabilization, payload up to 3 kg, folds to backpack size',
    uses: 'landscape photography, long exposures, video production, travel'
  },
  instant_camera: {
    brands: 'Fujifilm: Instax Mini 12, Instax Mini Evo, Instax Wide 400, Instax Square SQ1 | Polaroid: Now+ Gen 2, Go Gen 2, I-2 | Kodak: Smile+, Mini Shot 3',
    nouns: 'Instant Camera, Instant Film Camera, Instant Print Camera',
    variants: ['Blossom Pink, Clay White, Pastel Blue, Mint Green, Black', 'Camera Only, with 20 Shots of Film'],
    price: [49, 599],
    weight: [0.2, 0.6],
    size: [12, 10, 7],
    features: 'automatic exposure, selfie mirror, close-up mode, prints in 90 seconds, smartphone printing, built-in flash',
    uses: 'parties, weddings, scrapbooking, travel memories, gifts'
  },
  camera_bag: {
    brands: 'Peak Design: Everyday Backpack, Everyday Sling, Travel Backpack | Lowepro: ProTactic BP 450 AW II, Fastpack 250 | Think Tank: Airport Essentials | WANDRD: PRVKE | Manfrotto: Advanced Befree',
    nouns: 'Camera Backpack, Camera Sling Bag, Camera Bag',
    variants: ['10L, 20L, 30L', 'Black, Charcoal, Midnight, Sage'],
    price: [39, 349],
    weight: [0.5, 2],
    size: [48, 30, 18],
    features: 'weatherproof shell, customizable FlexFold dividers, side access, laptop sleeve, tripod straps, luggage pass-through',
    uses: 'travel photography, commuting with gear, hiking, daily carry'
  },
  console: {
    brands: 'Sony: PlayStation 5 Slim, PlayStation 5 Pro, PlayStation Portal | Microsoft: Xbox Series X, Xbox Series S | Nintendo: Switch OLED, Switch Lite | Valve: Steam Deck OLED | ASUS: ROG Ally',
    nouns: 'Console, Gaming Console, Handheld Gaming PC',
    variants: ['Standard Edition, Digital Edition, Bundle', '512GB, 1TB, 2TB'],
    tiered: true,
    price: [199, 799],
    weight: [0.3, 4.5],
    size: [36, 26, 10],
    features: '4K gaming at 120 fps, ultra-high-speed SSD, ray tracing, backwards compatibility, haptic feedback controller, 7-inch OLED screen',
    uses: 'family gaming nights, couch co-op, gaming on the go, online multiplayer'
  },
  video_game: {
    brands: 'Sony Interactive: Marvel\'s Spider-Man 2, God of War Ragnarok, Gran Turismo 7 | Electronic Arts: EA Sports FC 25, Madden NFL 25, Star Wars Jedi: Survivor | Activision: Call of Duty: Black Ops 6, Crash Bandicoot 4 | Ubisoft: Assassin\'s Creed Shadows, Star Wars Outlaws | Capcom: Resident Evil 4, Street Fighter 6 | Bandai Namco: Elden Ring, Tekken 8 | 2K: NBA 2K25 | Square Enix: Final Fantasy VII Rebirth',
    nouns: 'Standard Edition, Deluxe Edition, Gold Edition',
    variants: ['PS5, Xbox Series X, PC'],
    price: [19, 99],
    weight: [0.05, 0.15],
    size: [17, 13.5, 1.5],
    features: 'open-world campaign, online multiplayer, 4K HDR visuals, photo mode, cross-play, season pass content',
    uses: 'weekend gaming, online play with friends, story adventures, competitive play'
  },
  switch_game: {
    brands: 'Nintendo: The Legend of Zelda: Tears of the Kingdom, Mario Kart 8 Deluxe, Super Mario Bros. Wonder, Animal Crossing: New Horizons, Super Smash Bros. Ultimate, Pokemon Scarlet, Splatoon 3, Pikmin 4 | Ubisoft: Mario + Rabbids Sparks of Hope | Sega: Sonic Superstars',
    nouns: ', Standard Edition',
    variants: ['Nintendo Switch'],
    price: [29, 69],
    weight: [0.05, 0.1],
    size: [17, 10.5, 1.1],
    features: 'local multiplayer, family friendly, handheld and TV modes, online play, amiibo support',
    uses: 'family game nights, kids, travel gaming, party play'
  },
  controller: {
    brands: 'Sony: DualSense, DualSense Edge | Microsoft: Xbox Wireless Controller, Xbox Elite Series 2 | Nintendo: Switch Pro Controller, Joy-Con Pair | 8BitDo: Ultimate Bluetooth, Pro 2 | PowerA: Enhanced Wired | Razer: Wolverine V2 Pro',
    nouns: 'Wireless Controller, Controller, Pro Controller',
    variants: ['Midnight Black, Cosmic Red, White, Volcanic Shift, Deep Pink'],
    price: [24, 199],
    weight: [0.2, 0.35],
    size: [16, 11, 6],
    features: 'haptic feedback, adaptive triggers, remappable back buttons, Hall effect sticks, 40-hour battery, low-latency wireless',
    uses: 'console gaming, PC gaming, cloud gaming, local multiplayer'
  },
  headset: {
    brands: 'SteelSeries: Arctis Nova 7, Arctis Nova Pro Wireless | HyperX: Cloud III, Cloud Alpha Wireless | Logitech: G Pro X 2 Lightspeed, G435 | Razer: BlackShark V2 Pro, Kraken V4 | Corsair: HS80 RGB, Virtuoso Max | Turtle Beach: Stealth 600 Gen 3',
    nouns: 'Wireless Gaming Headset, Gaming Headset',
    variants: ['Black, White', 'for PC, for PlayStation, for Xbox'],
    price: [39, 349],
    weight: [0.25, 0.4],
    size: [20, 18, 9],
    features: 'detachable noise-cancelling mic, 7.1 surround sound, 2.4GHz lossless wireless, memory foam ear cushions, 300-hour battery',
    uses: 'competitive shooters, team chat, streaming, long gaming sessions'
  },
  gaming_chair: {
    brands: 'Secretlab: Titan Evo, Omega | Corsair: TC100 Relaxed, T3 Rush | Noblechairs: Hero | AndaSeat: Kaiser 3 | Razer: Iskur V2 | GTRACING: Pro Series',
    nouns: 'Gaming Chair, Ergonomic Gaming Chair',
    variants: ['Regular, XL', 'Black, Stealth, Cookies and Cream, Red'],
    price: [149, 699],
    weight: [18, 32],
    size: [70, 70, 130],
    features: '4-way lumbar support, magnetic memory foam head pillow, cold-cure foam, 4D armrests, 165-degree recline, breathable fabric',
    uses: 'long gaming sessions, home office, streaming setups'
  },
  vr: {
    brands: 'Meta: Quest 3, Quest 3S | Sony: PlayStation VR2 | Apple: Vision Pro | Valve: Index | HTC: Vive XR Elite | Pico: 4 Ultra',
    nouns: 'VR Headset, Mixed Reality Headset, All-in-One VR Headset',
    variants: ['128GB, 256GB, 512GB'],
    tiered: true,
    price: [299, 3499],
    weight: [0.45, 0.8],
    size: [26, 19, 15],
    features: 'full-color mixed reality passthrough, 4K+ infinite display, hand tracking, inside-out tracking, standalone and PC VR modes',
    uses: 'immersive gaming, virtual fitness, social VR, movie watching'
  },
  gaming_peripheral: {
    brands: 'Logitech: G Pro X Superlight 2, G502 X Plus, G915 TKL | Razer: DeathAdder V3 Pro, Huntsman V3 Pro, BlackWidow V4 | SteelSeries: Apex Pro TKL, Aerox 5 Wireless | Corsair: K70 RGB Pro, M75 Air | Glorious: Model O 2, GMMK Pro | Wooting: 60HE',
    nouns: 'Gaming Mouse, Mechanical Gaming Keyboard, Wireless Gaming Mouse',
    variants: ['Black, White, Pink'],
    price: [29, 249],
    weight: [0.06, 1.1],
    size: [36, 14, 4],
    features: 'optical switches, 8000Hz polling rate, 32K DPI sensor, ultralight 60g shell, adjustable actuation, per-key RGB',
    uses: 'esports, FPS games, MMO games, competitive play'
  }
}
