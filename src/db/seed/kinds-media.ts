import type { KindSpec } from './kind-spec.js'

// TV, home theater and audio. Same compact format as kinds-computing.ts.

export const MEDIA_KINDS: Record<string, KindSpec> = {
  tv: {
    brands: 'Samsung: QN90D Neo QLED, Q80D QLED, Crystal UHD DU8000, The Frame | LG: QNED85, UQ75 | Sony: Bravia 7, Bravia 3, X85K | TCL: QM8, Q6, S4 | Hisense: U8N, U7N, A6 | Vizio: M-Series Quantum, V-Series | Roku: Pro Series',
    nouns: '4K Smart TV, QLED 4K TV, LED 4K UHD Smart TV',
    variants: ['43-inch, 50-inch, 55-inch, 65-inch, 75-inch, 85-inch', '2024 Model, 2023 Model'],
    tiered: true,
    price: [229, 3299],
    weight: [7, 45],
    size: [123, 25, 72],
    features: 'Dolby Vision HDR, 120Hz native refresh, full array local dimming, HDMI 2.1 with VRR, Google TV built in, Dolby Atmos sound, voice remote, low input lag game mode',
    uses: 'movie nights, sports, console gaming, streaming, living rooms'
  },
  tv_oled: {
    brands: 'LG: OLED evo C4, OLED evo G4, OLED B4 | Sony: Bravia 8, Bravia XR A95L | Samsung: S90D OLED, S95D OLED | Panasonic: Z95A OLED | Philips: OLED809',
    nouns: 'OLED 4K Smart TV, 4K OLED TV',
    variants: ['42-inch, 48-inch, 55-inch, 65-inch, 77-inch, 83-inch', '2024 Model, 2023 Model'],
    tiered: true,
    price: [999, 4999],
    weight: [9, 40],
    size: [145, 25, 83],
    features: 'self-lit OLED pixels with perfect blacks, 144Hz refresh for gaming, Dolby Vision IQ, four HDMI 2.1 ports, anti-reflection screen, AI picture processor',
    uses: 'home cinema, HDR movies, next-gen console gaming, dark room viewing'
  },
  soundbar: {
    brands: 'Sonos: Arc, Beam Gen 2, Ray | Samsung: HW-Q990D, HW-Q800D, HW-B650D | Bose: Smart Ultra Soundbar, TV Speaker | Sony: HT-A7000, HT-S2000 | Vizio: Elevate, V21 | JBL: Bar 1300, Bar 500 | Polk: Signa S4',
    nouns: 'Soundbar, Dolby Atmos Soundbar, Soundbar with Subwoofer',
    variants: ['2.1 Channel, 3.1 Channel, 5.1.2 Channel, 11.1.4 Channel', 'Black, White'],
    tiered: true,
    price: [99, 1499],
    weight: [2, 12],
    size: [100, 12, 7],
    features: 'Dolby Atmos and DTS:X, wireless subwoofer, HDMI eARC, dialogue enhancement, Wi-Fi and AirPlay 2 streaming, room calibration',
    uses: 'TV sound upgrades, movie nights, sports commentary, apartment-friendly home theater'
  },
  av_receiver: {
    brands: 'Denon: AVR-X1800H, AVR-X3800H, AVR-S770H | Marantz: Cinema 70s, Cinema 50 | Yamaha: RX-V6A, RX-A4A, RX-V4A | Onkyo: TX-NR6100 | Sony: STR-AN1000 | Pioneer: VSX-835',
    nouns: 'AV Receiver, Home Theater Receiver, 8K AV Receiver',
    variants: ['5.2 Channel, 7.2 Channel, 9.4 Channel', 'Black, Silver'],
    tiered: true,
    price: [299, 2499],
    weight: [8, 15],
    size: [43, 38, 17],
    features: '8K/60 HDMI passthrough, Dolby Atmos decoding, Audyssey room correction, HEOS multiroom streaming, phono input, zone 2 output',
    uses: 'surround sound systems, home cinema, multiroom music, vinyl setups'
  },
  streaming: {
    brands: 'Roku: Ultra, Streaming Stick 4K, Express 4K+ | Amazon: Fire TV Stick 4K Max, Fire TV Cube | Apple: TV 4K | Google: TV Streamer, Chromecast with Google TV | NVIDIA: Shield TV Pro',
    nouns: 'Streaming Media Player, 4K Streaming Device, Streaming Stick',
    variants: ['HD, 4K, 4K HDR', 'with Voice Remote, with Voice Remote Pro'],
    price: [29, 199],
    weight: [0.03, 0.5],
    size: [10, 4, 2],
    features: 'Dolby Vision and HDR10+, Wi-Fi 6, hands-free voice control, Dolby Atmos audio, private listening, live TV guide',
    uses: 'cord cutting, bedroom TVs, travel streaming, upgrading older TVs'
  },
  projector: {
    brands: 'Epson: Home Cinema 2350, Home Cinema 5050UB, EpiqVision Mini EF21 | BenQ: HT2060, TK710STi, GV31 | XGIMI: Horizon Ultra, MoGo 3 Pro, Halo+ | Anker: Nebula Capsule 3, Nebula Cosmos 4K SE | Optoma: UHD38x | Samsung: The Freestyle 2nd Gen',
    nouns: 'Projector, 4K Home Theater Projector, Portable Projector',
    variants: ['1080p, 4K UHD', 'Standard, with 100-inch Screen'],
    tiered: true,
    price: [299, 3499],
    weight: [1, 9],
    size: [32, 25, 12],
    features: '3,000 ANSI lumens, auto keystone and focus, low input lag gaming mode, built-in Android TV, HDR10 support, short-throw lens',
    uses: 'backyard movie nights, home cinema rooms, gaming on a giant screen, presentations'
  },
  tv_mount: {
    brands: 'Sanus: Advanced Full-Motion, Premium Tilting | Mounting Dream: MD2380, MD2268 | ECHOGEAR: Full Motion EGLF2 | Kanto: PMX680 | Amazon Basics: Heavy-Duty Full Motion',
    nouns: 'TV Wall Mount, Full Motion TV Mount, Tilting TV Mount',
    variants: ['for 32-55 inch TVs, for 42-75 inch TVs, for 55-90 inch TVs', 'Black'],
    price: [19, 249],
    weight: [2, 12],
    size: [60, 40, 8],
    features: 'full-motion articulating arm, post-install leveling, holds up to 150 lbs, cable management, fits 16-inch wood studs, VESA 600x400',
    uses: 'living room walls, bedrooms, corner installs, over-fireplace mounting'
  },
  bluray: {
    brands: 'Sony: UBP-X700, UBP-X800M2, BDP-S6700 | Panasonic: DP-UB820, DP-UB420 | LG: UBK90 | Magnetar: UDP800 | Reavon: UBR-X110',
    nouns: '4K Ultra HD Blu-ray Player, Blu-ray Player',
    variants: ['Black, Silver'],
    price: [89, 999],
    weight: [1.2, 8],
    size: [43, 21, 5],
    features: 'Dolby Vision and HDR10+, 4K upscaling, Dolby Atmos bitstream, Wi-Fi streaming apps, dual HDMI outputs, SACD playback',
    uses: 'physical media collections, best-quality movies, home theater enthusiasts'
  },
  headphones: {
    brands: 'Sony: WH-1000XM5, WH-1000XM4, WH-CH720N, ULT Wear | Bose: QuietComfort Ultra, QuietComfort 45 | Apple: AirPods Max | Sennheiser: Momentum 4, HD 660S2, Accentum | Beats: Studio Pro, Solo 4 | Audio-Technica: ATH-M50x, ATH-M40x | JBL: Tour One M2 | Marshall: Major IV',
    nouns: 'Wireless Noise Cancelling Headphones, Over-Ear Headphones, Bluetooth Headphones, Studio Monitor Headphones',
    variants: ['Black, Silver, Midnight Blue, Smoky Pink, Sandstone'],
    price: [49, 549],
    weight: [0.2, 0.4],
    size: [20, 17, 8],
    features: 'industry-leading noise cancellation, 30-hour battery, multipoint Bluetooth, spatial audio, speak-to-chat, plush memory foam ear cushions, LDAC hi-res audio',
    uses: 'commuting, flights, focus at work, music production, long listening sessions'
  },
  earbuds: {
    brands: 'Apple: AirPods Pro 2, AirPods 4 | Samsung: Galaxy Buds3 Pro, Galaxy Buds FE | Sony: WF-1000XM5, WF-C700N | Bose: QuietComfort Ultra Earbuds | Jabra: Elite 10, Elite 8 Active | Google: Pixel Buds Pro 2 | Beats: Fit Pro, Powerbeats Pro | Anker: Soundcore Liberty 4 NC | Nothing: Ear (2)',
    nouns: 'True Wireless Earbuds, Noise Cancelling Earbuds, Wireless Earbuds',
    variants: ['Black, White, Graphite, Sky Blue, Coral'],
    price: [29, 299],
    weight: [0.04, 0.07],
    size: [6, 5, 3],
    features: 'active noise cancellation, transparency mode, IPX4 sweat resistance, wireless charging case, 8-hour battery per charge, personalized spatial audio, secure fit ear tips',
    uses: 'workouts, running, commuting, calls on the go, gym sessions'
  },
  speaker: {
    brands: 'JBL: Flip 6, Charge 5, Boombox 3, Clip 5, Go 4 | Bose: SoundLink Flex, SoundLink Max | Sonos: Roam 2, Move 2 | Ultimate Ears: BOOM 4, WONDERBOOM 4, MEGABOOM 4 | Marshall: Emberton III, Stanmore III | Anker: Soundcore Motion 300',
    nouns: 'Portable Bluetooth Speaker, Waterproof Bluetooth Speaker, Wireless Speaker',
    variants: ['Black, Blue, Red, Squad Camo, Teal, White'],
    price: [29, 499],
    weight: [0.2, 6],
    size: [18, 7, 7],
    features: 'IP67 waterproof and dustproof, 20-hour playtime, PartyBoost pairing, 360-degree sound, built-in power bank, floats in water',
    uses: 'pool parties, beach days, camping, backyard barbecues, showers'
  },
  turntable: {
    brands: 'Audio-Technica: AT-LP60X, AT-LP120XUSB, AT-LPW50BT | Pro-Ject: Debut Carbon EVO, T1 Phono SB | Fluance: RT81, RT85 | Rega: Planar 1, Planar 3 | Victrola: Eastwood, Stream Carbon | Technics: SL-1500C',
    nouns: 'Turntable, Record Player, Belt-Drive Turntable',
    variants: ['Black, Walnut, Satin White, Gloss Red'],
    price: [99, 1299],
    weight: [3, 12],
    size: [45, 36, 13],
    features: 'built-in phono preamp, Bluetooth output, pre-mounted cartridge, anti-resonance platter, USB digitizing, auto return tonearm',
    uses: 'vinyl collections, living room listening, digitizing records, hi-fi systems'
  },
  microphone: {
    brands: 'Shure: SM7B, MV7+, SM58 | Rode: PodMic USB, NT-USB+, Wireless GO II, VideoMic Pro+ | Blue: Yeti, Yeti Nano | Elgato: Wave:3 | HyperX: QuadCast S | Audio-Technica: AT2020USB-X | DJI: Mic 2',
    nouns: 'USB Microphone, Podcast Microphone, Wireless Microphone System',
    variants: ['Black, White, Silver', 'Standalone, with Boom Arm'],
    price: [39, 449],
    weight: [0.05, 0.8],
    size: [20, 10, 10],
    features: 'cardioid pickup pattern, zero-latency monitoring, built-in pop filter, USB-C and XLR outputs, onboard DSP, tap-to-mute',
    uses: 'podcasting, streaming, voice-over, vlogging, video calls'
  },
  hifi_speaker: {
    brands: 'KEF: LS50 Meta, Q150, LSX II | Klipsch: R-51PM, The Fives, RP-600M II | Audioengine: A2+, A5+ | Edifier: R1280T, S3000MKII | Bowers & Wilkins: 607 S3 | Polk: Reserve R200 | Q Acoustics: 3020i',
    nouns: 'Bookshelf Speakers, Powered Speakers, Stereo Speakers',
    variants: ['Black, Walnut, White, Carbon Black'],
    price: [99, 1599],
    weight: [4, 15],
    size: [30, 18, 25],
    features: 'Uni-Q driver array, built-in amplifier, HDMI ARC input, Bluetooth aptX, phono input, rear bass port',
    uses: 'stereo music listening, desktop audio, TV sound, vinyl systems'
  },
  amplifier: {
    brands: 'FiiO: K7, K11, Q15 | Schiit: Magni+, Modi+, Bifrost 2/64 | Topping: DX5 II, L30 II | Cambridge Audio: AXA35, CXA81 | Yamaha: A-S501 | iFi: Zen DAC 3 | WiiM: Amp',
    nouns: 'Headphone Amplifier, DAC/Amp, Integrated Amplifier, Stereo Amplifier',
    variants: ['Black, Silver'],
    price: [79, 1299],
    weight: [0.3, 9],
    size: [22, 15, 6],
    features: 'balanced outputs, 32-bit/768kHz DAC, MQA decoding, low-noise discrete design, phono stage, remote control',
    uses: 'high-impedance headphones, desktop hi-fi, streaming hi-res music, stereo systems'
  }
}
