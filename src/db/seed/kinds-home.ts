import type { KindSpec } from './kind-spec.js'

// Smart home and kitchen. Same compact format as kinds-computing.ts.

export const HOME_KINDS: Record<string, KindSpec> = {
  smart_speaker: {
    brands: 'Amazon: Echo Dot 5th Gen, Echo 4th Gen, Echo Show 8, Echo Show 15 | Google: Nest Mini, Nest Audio, Nest Hub Max | Apple: HomePod mini, HomePod 2nd Gen | Sonos: Era 100, Era 300',
    nouns: 'Smart Speaker, Smart Display, ',
    variants: ['Charcoal, Glacier White, Deep Sea Blue, Chalk, Midnight'],
    price: [29, 449],
    weight: [0.3, 5],
    size: [15, 15, 12],
    features: 'built-in voice assistant, Matter smart home hub, room-filling sound, privacy mic off button, multiroom audio, touchscreen controls',
    uses: 'kitchen timers, music around the house, controlling smart devices, video calls'
  },
  smart_bulb: {
    brands: 'Philips Hue: White and Color Ambiance A19, Go Portable Light, Play Light Bar, Lightstrip Plus | LIFX: Color A19, Beam | Wyze: Bulb Color | Govee: Smart LED Bulb, RGBIC Floor Lamp | Nanoleaf: Essentials A19, Shapes Hexagons | TP-Link Kasa: KL130',
    nouns: 'Smart Bulb, Smart Light, Smart LED Light Strip',
    variants: ['1-Pack, 2-Pack, 4-Pack', 'Color, White Ambiance'],
    tiered: true,
    price: [9, 249],
    weight: [0.05, 1.5],
    size: [11, 6, 6],
    features: '16 million colors, Matter over Thread, schedules and scenes, sync with music and movies, works with Alexa and Google Assistant, no hub required',
    uses: 'mood lighting, wake-up routines, gaming rooms, holiday decorations'
  },
  smart_plug: {
    brands: 'TP-Link Kasa: EP25, KP125M | Amazon: Smart Plug | Wemo: Smart Plug with Thread | Meross: MSS110 | Eve: Energy | Govee: Smart Plug Pro',
    nouns: 'Smart Plug, Wi-Fi Smart Plug, Outdoor Smart Plug',
    variants: ['1-Pack, 2-Pack, 4-Pack'],
    tiered: true,
    price: [9, 59],
    weight: [0.05, 0.3],
    size: [6, 4, 4],
    features: 'energy monitoring, Matter compatible, away mode, voice control, schedules and timers, compact design that leaves the second outlet free',
    uses: 'lamps, coffee makers, holiday lights, saving standby power'
  },
  security_cam: {
    brands: 'Arlo: Pro 5S 2K, Essential Indoor, Ultra 2 | Ring: Stick Up Cam Battery, Spotlight Cam Plus, Indoor Cam | Google: Nest Cam Outdoor, Nest Cam with Floodlight | Eufy: SoloCam S340, eufyCam 3 | Wyze: Cam v4, Cam Pan v3 | Blink: Outdoor 4 | Reolink: Argus 4 Pro',
    nouns: 'Security Camera, Wireless Outdoor Camera, Indoor Camera',
    variants: ['1-Camera Kit, 2-Camera Kit, 3-Camera Kit', 'White, Black'],
    tiered: true,
    price: [29, 449],
    weight: [0.1, 0.6],
    size: [9, 6, 6],
    features: '2K HDR video, color night vision, person and package detection, two-way talk, weatherproof IP65, local storage without subscription, built-in spotlight',
    uses: 'home security, watching pets, monitoring the driveway, package theft prevention'
  },
  doorbell: {
    brands: 'Ring: Battery Doorbell Plus, Video Doorbell Pro 2, Wired Doorbell | Google: Nest Doorbell Battery, Nest Doorbell Wired | Arlo: Video Doorbell 2K | Eufy: Video Doorbell Dual | Wyze: Video Doorbell v2',
    nouns: 'Video Doorbell, Smart Doorbell Camera',
    variants: ['Battery, Wired', 'Satin Nickel, Venetian Bronze, Snow, Black'],
    price: [39, 299],
    weight: [0.15, 0.4],
    size: [13, 5, 3],
    features: 'head-to-toe HD+ video, package detection, quick replies, motion zones, chime included, works with Alexa',
    uses: 'answering the door from anywhere, package deliveries, front porch security'
  },
  thermostat: {
    brands: 'Google: Nest Learning Thermostat 4th Gen, Nest Thermostat | Ecobee: Smart Thermostat Premium, Smart Thermostat Enhanced | Honeywell: Home T9, Home T5+ | Amazon: Smart Thermostat | Emerson: Sensi Touch 2',
    nouns: 'Smart Thermostat, Wi-Fi Thermostat',
    variants: ['Polished Silver, Polished Obsidian, Black, White', 'with Room Sensor, Thermostat Only'],
    price: [79, 299],
    weight: [0.2, 0.5],
    size: [10, 10, 3],
    features: 'learns your schedule, energy savings reports, remote sensors, Energy Star certified, Matter support, geofencing away mode',
    uses: 'lowering energy bills, comfort at home, vacation homes, heat pump control'
  },
  robot_vacuum: {
    brands: 'iRobot: Roomba j7+, Roomba Combo j9+, Roomba 694 | Roborock: S8 MaxV Ultra, Q5 Pro+, Q7 Max | Ecovacs: Deebot X2 Omni, Deebot N10 Plus | Shark: AI Ultra, Matrix Plus 2-in-1 | Eufy: RoboVac X10 Pro Omni | Dreame: L20 Ultra',
    nouns: 'Robot Vacuum, Robot Vacuum and Mop, Self-Emptying Robot Vacuum',
    variants: ['Standard, with Self-Empty Base, with Auto-Empty Dock'],
    tiered: true,
    price: [149, 1799],
    weight: [3, 12],
    size: [35, 35, 10],
    features: 'LiDAR navigation, obstacle avoidance, 6000Pa suction, self-emptying base, sonic mopping, no-go zones, pet hair brush roll',
    uses: 'pet owners, daily floor cleaning, hardwood floors, busy households'
  },
  smart_lock: {
    brands: 'August: Wi-Fi Smart Lock 4th Gen | Yale: Assure Lock 2, Approach Lock | Schlage: Encode Plus, Encode | Level: Lock+, Bolt | Ultraloq: U-Bolt Pro WiFi | Eufy: Smart Lock C220',
    nouns: 'Smart Lock, Keyless Entry Deadbolt, Fingerprint Smart Lock',
    variants: ['Satin Nickel, Matte Black, Venetian Bronze, Silver'],
    price: [79, 349],
    weight: [0.8, 2],
    size: [16, 8, 7],
    features: 'auto-lock and auto-unlock, fingerprint reader, Apple Home Key, guest access codes, activity log, fits existing deadbolt',
    uses: 'keyless entry, rental properties, letting in guests, kids coming home'
  },
  coffee: {
    brands: 'Keurig: K-Elite, K-Supreme Plus, K-Mini | Ninja: Specialty Coffee Maker, 12-Cup Programmable | Cuisinart: DCC-3200, Grind & Brew | Technivorm: Moccamaster KBGV Select | Breville: Precision Brewer | OXO: Brew 8-Cup | Nespresso: Vertuo Pop',
    nouns: 'Coffee Maker, Single Serve Coffee Maker, Drip Coffee Maker',
    variants: ['Black, Stainless Steel, White, Red', '8-Cup, 10-Cup, 12-Cup'],
    price: [49, 399],
    weight: [2, 6],
    size: [33, 20, 36],
    features: 'programmable auto brew, thermal carafe, strong brew setting, iced coffee mode, removable water reservoir, SCA-certified brewing temperature',
    uses: 'morning routines, home office, entertaining guests, iced coffee'
  },
  espresso: {
    brands: 'Breville: Barista Express, Bambino Plus, Barista Touch Impress, Oracle Jet | De\'Longhi: Dedica Arte, La Specialista Arte, Magnifica Evo | Gaggia: Classic Evo Pro | Philips: 3200 LatteGo | Rancilio: Silvia Pro X | Nespresso: Creatista Pro',
    nouns: 'Espresso Machine, Automatic Espresso Machine, Espresso Machine with Grinder',
    variants: ['Brushed Stainless Steel, Black Truffle, Sea Salt, Damson Blue'],
    price: [149, 2499],
    weight: [4, 15],
    size: [33, 31, 40],
    features: 'integrated conical burr grinder, 15-bar Italian pump, automatic milk frother, PID temperature control, 3-second heat-up, steam wand for latte art',
    uses: 'cafe-quality lattes, cappuccinos, home baristas, espresso lovers'
  },
  grinder: {
    brands: 'Baratza: Encore ESP, Virtuoso+ | Breville: Smart Grinder Pro | Fellow: Ode Gen 2, Opus | OXO: Conical Burr Grinder | Eureka: Mignon Specialita | Timemore: C3 Pro',
    nouns: 'Coffee Grinder, Burr Coffee Grinder, Conical Burr Grinder',
    variants: ['Black, White, Matte Black, Stainless Steel'],
    price: [39, 699],
    weight: [0.5, 6],
    size: [15, 13, 35],
    features: '40 grind settings, stainless steel conical burrs, single-dose hopper, anti-static technology, timed dosing, low retention',
    uses: 'espresso, pour-over, French press, cold brew'
  },
  blender: {
    brands: 'Vitamix: E310 Explorian, A3500 Ascent, 5200 | Ninja: Professional Plus, Foodi Power Blender, BN401 Nutri Pro | Blendtec: Classic 575 | NutriBullet: Pro 900, Blender Combo | KitchenAid: K400 | Breville: Super Q',
    nouns: 'Blender, Countertop Blender, Personal Blender',
    variants: ['Black, Red, White, Slate', '24 oz, 48 oz, 64 oz, 72 oz'],
    price: [49, 649],
    weight: [1.5, 5.5],
    size: [20, 20, 43],
    features: 'variable speed control, self-cleaning cycle, hardened stainless steel blades, BPA-free container, pulse function, preset smoothie programs',
    uses: 'smoothies, soups, frozen drinks, nut butters, meal prep'
  },
  air_fryer: {
    brands: 'Ninja: Foodi 6-in-1 DualZone, AF101, Max XL | COSORI: Pro LE, TurboBlaze | Instant: Vortex Plus, Vortex Slim | Philips: Airfryer XXL, 3000 Series | Chefman: TurboFry Touch | Typhur: Dome',
    nouns: 'Air Fryer, Dual Basket Air Fryer, Air Fryer Oven',
    variants: ['4 qt, 5.8 qt, 6 qt, 8 qt, 10 qt', 'Black, Gray, White'],
    tiered: true,
    price: [49, 349],
    weight: [3, 10],
    size: [38, 28, 32],
    features: 'dual zone cooking, rapid air technology, dishwasher-safe baskets, 1700W heating element, preset programs, uses 95% less oil',
    uses: 'crispy fries, weeknight dinners, reheating leftovers, healthy cooking'
  },
  microwave: {
    brands: 'Panasonic: NN-SN686S, NN-SD975S Inverter | Toshiba: EM131A5C, ML-EM45PIT | GE: JES1072SHSS, Profile Smart | Breville: Combi Wave 3-in-1 | Samsung: MS19M8000AS | Whirlpool: WMH31017HS',
    nouns: 'Microwave Oven, Countertop Microwave, Over-the-Range Microwave',
    variants: ['0.9 cu ft, 1.2 cu ft, 1.6 cu ft, 2.2 cu ft', 'Stainless Steel, Black, White'],
    tiered: true,
    price: [79, 699],
    weight: [10, 22],
    size: [52, 42, 31],
    features: 'inverter technology for even heating, sensor cooking, convection and air fry modes, one-touch popcorn, child lock, turntable on/off',
    uses: 'reheating, defrosting, quick meals, dorm rooms, office kitchens'
  },
  vacuum: {
    brands: 'Dyson: V15 Detect, V12 Detect Slim, V8 Absolute, Gen5detect | Shark: Stratos Cordless, Wandvac, Rocket Pet Pro | Samsung: Bespoke Jet AI | Tineco: Pure One S15 | LG: CordZero A9 | Bissell: CrossWave HydroSteam',
    nouns: 'Cordless Vacuum, Stick Vacuum, Cordless Stick Vacuum',
    variants: ['Standard, Complete, Pet Edition'],
    tiered: true,
    price: [149, 949],
    weight: [1.5, 3.5],
    size: [25, 26, 126],
    features: 'laser dust detection, 60-minute runtime, anti-tangle brush bar, HEPA filtration, converts to handheld, LCD particle counter',
    uses: 'pet hair, quick cleanups, stairs, car interiors, hard floors and carpets'
  },
  upright_vacuum: {
    brands: 'Shark: Navigator Lift-Away NV352, Rotator Powered Lift-Away | Bissell: CleanView Swivel Pet, PowerForce Helix | Hoover: MAXLife Pro Pet | Dyson: Ball Animal 3 | Miele: Dynamic U1 Cat & Dog',
    nouns: 'Upright Vacuum, Bagless Upright Vacuum',
    variants: ['Standard, Pet Edition'],
    price: [99, 699],
    weight: [5, 9],
    size: [38, 30, 114],
    features: 'lift-away detachable pod, anti-allergen sealed system, swivel steering, wide cleaning path, extra-long power cord',
    uses: 'wall-to-wall carpets, large homes, pet hair, deep cleaning'
  },
  air_purifier: {
    brands: 'Levoit: Core 300S, Core 600S, Vital 200S | Coway: Airmega AP-1512HH, Airmega 400S | Blueair: Blue Pure 211i Max, DustMagnet 5410i | Dyson: Purifier Cool TP07 | Winix: 5500-2 | Honeywell: HPA300',
    nouns: 'Air Purifier, HEPA Air Purifier, Smart Air Purifier',
    variants: ['for rooms up to 300 sq ft, for rooms up to 600 sq ft, for rooms up to 1,500 sq ft', 'White, Black, Gray'],
    tiered: true,
    price: [59, 799],
    weight: [2.5, 12],
    size: [24, 24, 50],
    features: 'true HEPA filter, activated carbon layer, air quality sensor with auto mode, whisper-quiet sleep mode, filter change indicator',
    uses: 'allergies, wildfire smoke, pet dander, bedrooms, nurseries'
  },
  cookware: {
    brands: 'All-Clad: D3 Stainless, HA1 Nonstick | Le Creuset: Signature Enameled Cast Iron | Lodge: Cast Iron Skillet, Enameled Dutch Oven | Caraway: Ceramic Cookware | HexClad: Hybrid | Made In: Carbon Steel | T-fal: Ultimate Hard Anodized | Calphalon: Premier',
    nouns: 'Cookware Set, Frying Pan, Dutch Oven',
    variants: ['10-inch, 12-inch, 5.5 qt, 10-Piece Set, 13-Piece Set', 'Stainless, Black, Cream, Cerise, Marseille Blue'],
    tiered: true,
    price: [19, 899],
    weight: [1, 12],
    size: [50, 30, 15],
    features: 'tri-ply stainless steel, PFAS-free nonstick coating, oven safe to 500F, induction compatible, dishwasher safe, stay-cool handles',
    uses: 'searing steaks, braising, everyday cooking, baking bread, gifts for cooks'
  },
  kettle: {
    brands: 'Fellow: Stagg EKG, Corvo EKG | Cuisinart: PerfecTemp CPK-17 | Breville: IQ Kettle | Cosori: Electric Gooseneck Kettle | Hamilton Beach: Glass Electric Kettle | OXO: Brew Adjustable Temperature Kettle | Smeg: KLF03',
    nouns: 'Electric Kettle, Gooseneck Electric Kettle, Variable Temperature Kettle',
    variants: ['0.9 L, 1.0 L, 1.7 L', 'Matte Black, Polished Steel, White, Pastel Blue'],
    price: [25, 199],
    weight: [0.8, 1.6],
    size: [28, 17, 25],
    features: 'variable temperature presets, keep warm mode, precision pour spout, auto shut-off, boil-dry protection, 1500W rapid boil',
    uses: 'pour-over coffee, tea, instant meals, office kitchens'
  }
}
