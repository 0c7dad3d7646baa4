import type { KindSpec } from './kind-spec.js'

// Sports and outdoors. Same compact format as kinds-computing.ts.

export const SPORTS_KINDS: Record<string, KindSpec> = {
  dumbbell: {
    brands: 'Bowflex: SelectTech 552, SelectTech 1090 | NordicTrack: iSelect Voice-Controlled | PowerBlock: Elite EXP, Pro 50 | CAP Barbell: Hex Dumbbell, Neoprene Dumbbell | Rogue: Echo Bumper Plates | Amazon Basics: Neoprene Workout Dumbbell',
    nouns: 'Adjustable Dumbbells, Dumbbell Set, Dumbbells',
    variants: ['5-25 lb, 5-52.5 lb, 10-90 lb', 'Single, Pair'],
    tiered: true,
    price: [19, 699],
    weight: [2, 45],
    size: [42, 20, 23],
    features: 'dial weight adjustment, replaces 15 sets of weights, durable molded handles, compact storage tray, rubber-coated plates',
    uses: 'home gym strength training, HIIT workouts, small apartments'
  },
  treadmill: {
    brands: 'NordicTrack: Commercial 1750, T Series 6.5 Si | Peloton: Tread | Sole: F63, F80 | ProForm: Carbon TLX | Horizon: 7.0 AT | WalkingPad: C2 | Bowflex: T22',
    nouns: 'Treadmill, Folding Treadmill, Under Desk Walking Pad',
    variants: ['Standard, with 1-Year iFIT Membership'],
    tiered: true,
    price: [299, 3299],
    weight: [22, 150],
    size: [200, 90, 150],
    features: '12 mph top speed, -3% to 15% incline, 14-inch HD touchscreen, cushioned running deck, space-saving fold, live interactive classes',
    uses: 'running at home, walking while working, marathon training, rainy days'
  },
  exercise_bike: {
    brands: 'Peloton: Bike, Bike+ | NordicTrack: Commercial S22i, Commercial S15i | Schwinn: IC4, 270 Recumbent | Echelon: Connect EX-5 | Yosuda: Indoor Cycling Bike | Wahoo: KICKR Bike',
    nouns: 'Exercise Bike, Indoor Cycling Bike, Recumbent Bike',
    variants: ['Standard, with Accessories Bundle'],
    tiered: true,
    price: [249, 2999],
    weight: [30, 70],
    size: [150, 60, 130],
    features: 'magnetic resistance with 100 levels, auto-resistance during classes, swiveling HD touchscreen, dual-sided SPD pedals, heart rate monitor included',
    uses: 'cardio workouts, low-impact training, cycling classes, winter training'
  },
  bike: {
    brands: 'Trek: Marlin 7, Fuel EX 8, Roscoe 7 | Specialized: Rockhopper Sport, Stumpjumper Comp | Giant: Talon 1, Trance X 29 | Cannondale: Trail 5, Habit 4 | Santa Cruz: Chameleon | Diamondback: Overdrive 29',
    nouns: 'Mountain Bike, Hardtail Mountain Bike, Full Suspension Mountain Bike',
    variants: ['Small, Medium, Large, X-Large', 'Matte Black, Olive Grey, Crimson, Blue Smoke'],
    price: [399, 5499],
    weight: [12, 16],
    size: [180, 25, 100],
    features: 'hydraulic disc brakes, 1x12 drivetrain, 120mm suspension fork, dropper post, tubeless-ready wheels, lightweight aluminum frame',
    uses: 'trail riding, cross-country, bike parks, weekend adventures'
  },
  road_bike: {
    brands: 'Trek: Domane AL 2, Emonda SL 6 | Specialized: Allez, Tarmac SL7, Roubaix Sport | Giant: Contend AR 3, TCR Advanced | Cannondale: CAAD Optimo 1, SuperSix EVO | Canyon: Endurace CF 7 | Cervelo: Caledonia',
    nouns: 'Road Bike, Endurance Road Bike, Carbon Road Bike',
    variants: ['50cm, 52cm, 54cm, 56cm, 58cm', 'Gloss Black, Team Blue, White, Satin Carbon'],
    price: [799, 6999],
    weight: [7.5, 10],
    size: [170, 25, 95],
    features: 'carbon fork, Shimano 105 groupset, hydraulic disc brakes, endurance geometry, 32mm tire clearance, internal cable routing',
    uses: 'group rides, century rides, commuting fast, gran fondos'
  },
  ebike: {
    brands: 'Rad Power Bikes: RadCity 5 Plus, RadWagon 4, RadRunner 3 Plus | Aventon: Level.2, Pace 500.3, Sinch.2 | Specialized: Turbo Vado 4.0, Turbo Como | Trek: Allant+ 7, FX+ 2 | Lectric: XP 3.0 | Gazelle: Ultimate C380',
    nouns: 'Electric Bike, Commuter E-Bike, Folding Electric Bike',
    variants: ['Regular, Step-Through', 'Charcoal, White, Forest Green, Sea Blue'],
    price: [899, 5999],
    weight: [20, 35],
    size: [185, 30, 110],
    features: '500W hub motor, 60-mile range, torque sensor pedal assist, integrated lights, hydraulic disc brakes, removable battery, rear rack',
    uses: 'commuting, errands, hills, replacing a car, cargo hauling'
  },
  tent: {
    brands: 'REI Co-op: Half Dome SL 2+, Trail Hut 4 | Coleman: Sundome, Skydome, Instant Cabin | Big Agnes: Copper Spur HV UL2, Tiger Wall UL2 | MSR: Hubba Hubba NX 2 | Kelty: Wireless 4 | Marmot: Tungsten 2P',
    nouns: 'Tent, Backpacking Tent, Camping Tent',
    variants: ['1-Person, 2-Person, 4-Person, 6-Person', 'Green, Orange, Gray'],
    tiered: true,
    price: [59, 699],
    weight: [1, 9],
    size: [55, 18, 18],
    features: 'ultralight ripstop nylon, full-coverage rainfly, two doors and vestibules, color-coded poles, 3-season design, sets up in 10 minutes',
    uses: 'backpacking, car camping, festivals, family camping trips'
  },
  sleeping_bag: {
    brands: 'Therm-a-Rest: Questar 20, Hyperion 32 | REI Co-op: Magma 15, Trailbreak 20 | Big Agnes: Anvil Horn 15 | Coleman: Brazos Cold Weather | Marmot: Trestles Elite Eco 20 | NEMO: Disco 15',
    nouns: 'Sleeping Bag, Down Sleeping Bag, Mummy Sleeping Bag',
    variants: ['Regular, Long', '15F, 20F, 30F, 40F'],
    price: [39, 549],
    weight: [0.6, 2.5],
    size: [40, 22, 22],
    features: '650-fill water-resistant down, draft collar, compression sack included, anti-snag zipper, spoon shape for side sleepers',
    uses: 'backpacking, cold-weather camping, sleepovers, car camping'
  },
  gps: {
    brands: 'Garmin: Edge 540, Edge 840, Edge 1040, eTrex 32x, GPSMAP 67 | Wahoo: ELEMNT BOLT V2, ELEMNT ROAM V2 | Hammerhead: Karoo 3 | Coros: Dura | Bryton: Rider 750 SE',
    nouns: 'Bike Computer, GPS Bike Computer, Handheld GPS',
    variants: ['Device Only, Bundle with Sensors'],
    tiered: true,
    price: [99, 699],
    weight: [0.06, 0.25],
    size: [9, 5.5, 2],
    features: 'turn-by-turn navigation, ClimbPro gradient data, solar charging, 32-hour battery, multi-band GNSS, Strava live segments',
    uses: 'road cycling, mountain biking, hiking, training with power'
  },
  scooter: {
    brands: 'Segway Ninebot: Max G2, F2 Pro, E2 Plus | Xiaomi: Electric Scooter 4 Pro, Electric Scooter 4 Lite | Hiboy: S2 Pro | Apollo: City Pro | Gotrax: G4 | Unagi: Model One Voyager',
    nouns: 'Electric Scooter, Foldable Electric Scooter, Commuter Electric Scooter',
    variants: ['Black, Gray, White'],
    price: [249, 1799],
    weight: [12, 25],
    size: [115, 48, 120],
    features: '25-mile range, 20 mph top speed, tubeless self-healing tires, dual braking system, app lock, one-step folding',
    uses: 'last-mile commuting, campus travel, city errands'
  },
  backpack: {
    brands: 'Osprey: Atmos AG 65, Talon 22, Exos 48 | Gregory: Baltoro 75, Zulu 40 | Deuter: Futura 32, Aircontact Core | The North Face: Terra 55 | REI Co-op: Flash 22, Traverse 60 | Mystery Ranch: Bridger 55',
    nouns: 'Hiking Backpack, Backpacking Pack, Daypack',
    variants: ['22L, 32L, 48L, 65L', 'Black, Blue, Green, Red'],
    tiered: true,
    price: [49, 399],
    weight: [0.6, 2.4],
    size: [70, 35, 25],
    features: 'anti-gravity suspended mesh back, adjustable torso length, hydration sleeve, integrated rain cover, trekking pole attachments, hipbelt pockets',
    uses: 'day hikes, multi-day treks, thru-hiking, travel'
  },
  yoga_mat: {
    brands: 'Manduka: PRO, PROlite, GRP Adapt | Lululemon: The Mat 5mm | Gaiam: Premium Print, Essentials | JadeYoga: Harmony | Liforme: Original | Alo: Warrior Mat',
    nouns: 'Yoga Mat, Non-Slip Yoga Mat, Exercise Mat',
    variants: ['4mm, 5mm, 6mm', 'Black, Midnight, Sage, Rose, Purple'],
    price: [19, 149],
    weight: [0.8, 3.5],
    size: [66, 15, 15],
    features: 'closed-cell surface that resists sweat, natural rubber grip, alignment markers, extra long length, lifetime guarantee',
    uses: 'yoga, pilates, stretching, home workouts, hot yoga'
  }
}
