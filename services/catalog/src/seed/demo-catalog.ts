/**
 * The demo catalog: invented brands, names and descriptions (written for Emporium), prices in
 * integer minor units. 44 products across apparel, footwear, electronics, home, kitchen, books,
 * outdoor and beauty, each with one to four variants.
 */
export interface DemoVariant {
  sku: string;
  attributes: Record<string, string>;
  amount: number;
  currency: 'EUR' | 'USD';
}

export interface DemoProduct {
  name: string;
  category: string;
  brand: string;
  description: string;
  variants: DemoVariant[];
}

const v = (sku: string, attributes: Record<string, string>, amount: number, currency: 'EUR' | 'USD' = 'EUR'): DemoVariant => ({
  sku,
  attributes,
  amount,
  currency,
});

export const DEMO_CATALOG: readonly DemoProduct[] = [
  // apparel
  {
    name: 'Organic Cotton Crew Tee',
    category: 'apparel',
    brand: 'Fernweh',
    description:
      'A midweight tee knitted from organic cotton and garment-washed, so it feels broken-in from the first wear. Relaxed through the body, with a ribbed collar that keeps its shape.',
    variants: [
      v('TEE-ORG-BLK-M', { color: 'black', size: 'M' }, 2400),
      v('TEE-ORG-BLK-L', { color: 'black', size: 'L' }, 2400),
      v('TEE-ORG-WHT-M', { color: 'white', size: 'M' }, 2400),
      v('TEE-ORG-WHT-L', { color: 'white', size: 'L' }, 2400),
    ],
  },
  {
    name: 'Merino Travel Hoodie',
    category: 'apparel',
    brand: 'Northpine',
    description:
      'Fine-gauge merino that keeps you warm on a cold platform and cool on a crowded train, and stays fresh for days between washes. A zipped chest pocket fits a passport.',
    variants: [
      v('HOOD-MER-GRY-M', { color: 'heather grey', size: 'M' }, 11900),
      v('HOOD-MER-GRY-L', { color: 'heather grey', size: 'L' }, 11900),
      v('HOOD-MER-NVY-M', { color: 'navy', size: 'M' }, 11900),
    ],
  },
  {
    name: 'Linen Camp Shirt',
    category: 'apparel',
    brand: 'Atelier Brisa',
    description:
      'A boxy short-sleeved shirt in washed European linen with a flat camp collar and coconut buttons. Made for long, hot afternoons and breezy evenings.',
    variants: [
      v('SHIRT-LIN-SND-M', { color: 'sand', size: 'M' }, 6900),
      v('SHIRT-LIN-SND-L', { color: 'sand', size: 'L' }, 6900),
      v('SHIRT-LIN-SGE-M', { color: 'sage', size: 'M' }, 6900),
    ],
  },
  {
    name: 'Selvedge Denim Jacket',
    category: 'apparel',
    brand: 'Fernweh',
    description:
      'Cut from 13.5 oz selvedge denim that fades to your own pattern of wear. Copper rivets, a blanket-lined body for cooler months and two hand-warmer pockets.',
    variants: [v('JKT-DNM-IND-M', { color: 'indigo', size: 'M' }, 14900), v('JKT-DNM-IND-L', { color: 'indigo', size: 'L' }, 14900)],
  },
  {
    name: 'Waxed Canvas Field Coat',
    category: 'apparel',
    brand: 'Northpine',
    description:
      'A hip-length coat of paraffin-waxed cotton canvas that sheds drizzle and softens with age. Corduroy collar, storm flap and a game pocket big enough for a map and a flask.',
    variants: [
      v('COAT-WAX-OLV-M', { color: 'olive', size: 'M' }, 22900),
      v('COAT-WAX-OLV-L', { color: 'olive', size: 'L' }, 22900),
      v('COAT-WAX-OLV-XL', { color: 'olive', size: 'XL' }, 22900),
    ],
  },
  {
    name: 'Ribbed Wool Beanie',
    category: 'apparel',
    brand: 'Northpine',
    description: 'A deep-cuffed beanie in a dense rib of lambswool. Warm without itching, and roomy enough to fold up or wear slouched.',
    variants: [v('BEANIE-RIB-RST', { color: 'rust' }, 2900), v('BEANIE-RIB-CHR', { color: 'charcoal' }, 2900)],
  },
  {
    name: 'Everyday Chino Trousers',
    category: 'apparel',
    brand: 'Atelier Brisa',
    description:
      'Tapered chinos in a stretch cotton twill that holds a crease through a long day. A hidden phone pocket sits inside the right front pocket.',
    variants: [
      v('CHINO-KHK-32', { color: 'khaki', waist: '32' }, 7900, 'USD'),
      v('CHINO-KHK-34', { color: 'khaki', waist: '34' }, 7900, 'USD'),
    ],
  },
  {
    name: 'Striped Breton Long Sleeve',
    category: 'apparel',
    brand: 'Atelier Brisa',
    description: 'The classic boat-neck stripe in a heavy cotton jersey, with three-quarter sleeves that stay out of the washing-up.',
    variants: [
      v('BRETON-NVY-S', { color: 'navy stripe', size: 'S' }, 4500),
      v('BRETON-NVY-M', { color: 'navy stripe', size: 'M' }, 4500),
      v('BRETON-NVY-L', { color: 'navy stripe', size: 'L' }, 4500),
    ],
  },
  // footwear
  {
    name: 'Trail Runner GTX',
    category: 'footwear',
    brand: 'Trailwright',
    description:
      'A waterproof trail shoe with a grippy lugged outsole and a rock plate for stony descents. The membrane breathes on climbs and keeps puddles out on the way down.',
    variants: [v('SHOE-TRL-42', { size: '42' }, 13900), v('SHOE-TRL-43', { size: '43' }, 13900), v('SHOE-TRL-44', { size: '44' }, 13900)],
  },
  {
    name: 'Leather Court Sneaker',
    category: 'footwear',
    brand: 'Fernweh',
    description: 'A minimal low-top in full-grain leather on a stitched cupsole, resoleable when the years catch up with it.',
    variants: [
      v('SNKR-CRT-WHT-41', { color: 'white', size: '41' }, 9900),
      v('SNKR-CRT-WHT-42', { color: 'white', size: '42' }, 9900),
      v('SNKR-CRT-WHT-43', { color: 'white', size: '43' }, 9900),
    ],
  },
  {
    name: 'Felted Wool Slippers',
    category: 'footwear',
    brand: 'Halden Home',
    description: 'Boiled-wool slippers with a natural latex sole: warm on tiled floors, quiet on wooden stairs.',
    variants: [v('SLIP-FLT-3839', { size: '38-39' }, 4900), v('SLIP-FLT-4243', { size: '42-43' }, 4900)],
  },
  {
    name: 'Canvas Deck Shoe',
    category: 'footwear',
    brand: 'Atelier Brisa',
    description: 'A light slip-on in washed canvas with a siped rubber sole that holds on wet decks and harbour steps.',
    variants: [
      v('DECK-CNV-NVY-40', { color: 'navy', size: '40' }, 5900, 'USD'),
      v('DECK-CNV-NVY-42', { color: 'navy', size: '42' }, 5900, 'USD'),
    ],
  },
  // electronics
  {
    name: 'Arc Wireless Headphones',
    category: 'electronics',
    brand: 'Sundial Audio',
    description:
      'Over-ear headphones with adaptive noise cancelling, forty hours of battery and memory-foam cushions that stay comfortable through a transatlantic flight.',
    variants: [v('HP-ARC-BLK', { color: 'black' }, 19900), v('HP-ARC-SLV', { color: 'silver' }, 19900)],
  },
  {
    name: 'Pebble Bluetooth Speaker',
    category: 'electronics',
    brand: 'Sundial Audio',
    description: 'A palm-sized speaker with a surprisingly full low end, rated to shrug off rain and a drop onto sand.',
    variants: [v('SPK-PBL-MOS', { color: 'moss' }, 7900), v('SPK-PBL-CLY', { color: 'clay' }, 7900)],
  },
  {
    name: 'Halo Desk Lamp with Wireless Charging',
    category: 'electronics',
    brand: 'Lumen Works',
    description: 'An aluminium task lamp with dimmable warm-to-cool light and a charging pad in its base for your phone.',
    variants: [v('LAMP-HALO-ALU', { finish: 'brushed aluminium' }, 8900)],
  },
  {
    name: 'Voltbird 20000 mAh Power Bank',
    category: 'electronics',
    brand: 'Voltbird',
    description:
      'Enough charge for four phone refills or a laptop top-up, with a 65 W USB-C port and a display that shows the remaining percentage.',
    variants: [v('PWR-20K-GPH', { color: 'graphite' }, 4900, 'USD')],
  },
  {
    name: 'Compact Mechanical Keyboard 75%',
    category: 'electronics',
    brand: 'Voltbird',
    description:
      'A gasket-mounted 75% board with hot-swappable switches, a volume knob and a cable-or-wireless mode switch. Typing sounds soft rather than clacky.',
    variants: [
      v('KB-75-TAC-US', { layout: 'US', switch: 'tactile' }, 12900),
      v('KB-75-LIN-US', { layout: 'US', switch: 'linear' }, 12900),
      v('KB-75-TAC-DE', { layout: 'DE', switch: 'tactile' }, 12900),
    ],
  },
  {
    name: 'Clarity 27-inch 4K USB-C Monitor',
    category: 'electronics',
    brand: 'Lumen Works',
    description:
      'A colour-calibrated 4K panel that charges your laptop over a single USB-C cable and adds two spare ports for a keyboard and mouse.',
    variants: [v('MON-27-4K', { size: '27 in' }, 44900)],
  },
  {
    name: 'Drift Noise-Cancelling Earbuds',
    category: 'electronics',
    brand: 'Sundial Audio',
    description:
      'Small, light earbuds with three sizes of tips, a transparency mode for station announcements and a pocketable charging case.',
    variants: [v('EAR-DRF-BLK', { color: 'black' }, 12900, 'USD'), v('EAR-DRF-SND', { color: 'sand' }, 12900, 'USD')],
  },
  {
    name: 'Smart Plug',
    category: 'electronics',
    brand: 'Voltbird',
    description: 'Schedule lamps and kettles, or see what the fridge really uses: energy monitoring, no cloud account required.',
    variants: [v('PLUG-SMT-2PK', { pack: '2' }, 2900), v('PLUG-SMT-4PK', { pack: '4' }, 4900)],
  },
  // home
  {
    name: 'Stoneware Dinner Plates, Set of Four',
    category: 'home',
    brand: 'Halden Home',
    description: 'Heavy reactive-glaze plates, each one slightly different from its neighbours. Dishwasher and oven safe.',
    variants: [v('PLATE-STN-CHK', { color: 'chalk' }, 5400), v('PLATE-STN-SLT', { color: 'slate' }, 5400)],
  },
  {
    name: 'Washed Linen Duvet Cover',
    category: 'home',
    brand: 'Halden Home',
    description:
      'Stone-washed linen bedding that gets softer with each wash and keeps you cool on summer nights. Closes with wooden buttons.',
    variants: [
      v('DUVET-LIN-SGL', { size: 'single' }, 8900),
      v('DUVET-LIN-DBL', { size: 'double' }, 11900),
      v('DUVET-LIN-KNG', { size: 'king' }, 13900),
    ],
  },
  {
    name: 'Hand-Poured Soy Candle',
    category: 'home',
    brand: 'Moss & Ember',
    description: 'A slow-burning soy wax candle with a cotton wick in a reusable amber jar, about fifty hours of burn time.',
    variants: [
      v('CNDL-SOY-CDR', { scent: 'cedar and smoke' }, 2200),
      v('CNDL-SOY-FIG', { scent: 'fig leaf' }, 2200),
      v('CNDL-SOY-SLT', { scent: 'sea salt' }, 2200),
    ],
  },
  {
    name: 'Herringbone Wool Throw',
    category: 'home',
    brand: 'Northpine',
    description:
      'A generous throw woven from undyed wool in a herringbone twill, finished with knotted tassels. Big enough for two on the sofa.',
    variants: [v('THROW-HRB-NAT', { color: 'natural' }, 9900)],
  },
  {
    name: 'Oak Floating Shelf',
    category: 'home',
    brand: 'Halden Home',
    description: 'Solid oak with a hidden steel bracket, oiled by hand. Holds a row of cookbooks without a wobble.',
    variants: [v('SHELF-OAK-60', { length: '60 cm' }, 4900), v('SHELF-OAK-90', { length: '90 cm' }, 6400)],
  },
  {
    name: 'Ceramic Planter Trio',
    category: 'home',
    brand: 'Moss & Ember',
    description: 'Three nesting planters with drainage holes and matching saucers, glazed inside and left raw outside.',
    variants: [v('PLANT-TRIO-TER', { finish: 'terracotta' }, 3900)],
  },
  {
    name: 'Blackout Curtain Pair',
    category: 'home',
    brand: 'Halden Home',
    description: 'Lined cotton curtains that block street light for late sleepers and keep a draughty window warmer in winter.',
    variants: [
      v('CURT-BLK-INK', { color: 'ink', size: '140 x 245 cm' }, 7400),
      v('CURT-BLK-OAT', { color: 'oat', size: '140 x 245 cm' }, 7400),
    ],
  },
  // kitchen
  {
    name: 'Carbon Steel Skillet 28 cm',
    category: 'kitchen',
    brand: 'Kettle & Finch',
    description: 'Pre-seasoned carbon steel that sears like cast iron at half the weight, and turns naturally non-stick with use.',
    variants: [v('SKLT-CS-28', { diameter: '28 cm' }, 5900)],
  },
  {
    name: 'Pour-Over Coffee Kit',
    category: 'kitchen',
    brand: 'Kettle & Finch',
    description:
      'A glass carafe, a ceramic dripper and a hundred paper filters: everything for a clean, bright morning cup except the beans.',
    variants: [v('COFFEE-PO-KIT', {}, 4400, 'USD')],
  },
  {
    name: "Chef's Knife 20 cm",
    category: 'kitchen',
    brand: 'Kettle & Finch',
    description: 'A forged stainless blade with a thin edge for precise slicing and a walnut handle that sits well in wet hands.',
    variants: [v('KNIFE-CHF-20', { length: '20 cm' }, 8900)],
  },
  {
    name: 'Enamel Dutch Oven 5 L',
    category: 'kitchen',
    brand: 'Kettle & Finch',
    description: 'Enamelled cast iron for stews, braises and crusty loaves; the self-basting lid keeps a Sunday roast moist.',
    variants: [v('DUTCH-5L-OCN', { color: 'ocean' }, 14900), v('DUTCH-5L-CRM', { color: 'cream' }, 14900)],
  },
  {
    name: 'Conical Burr Coffee Grinder',
    category: 'kitchen',
    brand: 'Kettle & Finch',
    description: 'Steel conical burrs with forty grind settings, from espresso-fine to cold-brew coarse, and a quiet low-speed motor.',
    variants: [v('GRND-BURR-BLK', { color: 'black' }, 12900)],
  },
  // books
  {
    name: 'The Cartographer of Small Rivers',
    category: 'books',
    brand: 'Ostara Press',
    description:
      'A novel. A retired surveyor sets out to map every stream in her valley before a dam floods it, and finds her own family history written along the banks.',
    variants: [
      v('BK-CART-HC', { format: 'hardcover' }, 2400),
      v('BK-CART-PB', { format: 'paperback' }, 1400),
      v('BK-CART-EB', { format: 'ebook' }, 999),
    ],
  },
  {
    name: 'Sourdough for Slow Mornings',
    category: 'books',
    brand: 'Quillfield Books',
    description:
      'A baking book for weekends: starters, country loaves, focaccia and cinnamon buns, each with a timeline that fits around a lie-in.',
    variants: [v('BK-SRDG-HC', { format: 'hardcover' }, 3200)],
  },
  {
    name: 'Practical Distributed Systems',
    category: 'books',
    brand: 'Quillfield Books',
    description:
      'Outboxes, idempotency keys, sagas and retries explained with worked failures rather than theory: what breaks at three in the morning and how to design so it does not.',
    variants: [v('BK-PDS-PB', { format: 'paperback' }, 4500, 'USD'), v('BK-PDS-EB', { format: 'ebook' }, 2900, 'USD')],
  },
  {
    name: 'A Field Guide to Urban Birds',
    category: 'books',
    brand: 'Ostara Press',
    description:
      'Illustrated plates of the birds that share our rooftops, parks and balconies, with notes on song, nesting and where to look.',
    variants: [v('BK-BIRD-PB', { format: 'paperback' }, 1900)],
  },
  {
    name: 'The Quiet Engine',
    category: 'books',
    brand: 'Ostara Press',
    description:
      'Science fiction. On a generation ship whose engine fell silent a century ago, a young mechanic starts hearing it hum again.',
    variants: [v('BK-QENG-PB', { format: 'paperback' }, 1300), v('BK-QENG-HC', { format: 'hardcover' }, 2200)],
  },
  {
    name: 'Letters from the Salt Marsh',
    category: 'books',
    brand: 'Quillfield Books',
    description: 'Essays written over a year on a tidal coast: herons, storms, neighbours and the slow art of paying attention.',
    variants: [v('BK-SALT-PB', { format: 'paperback' }, 1800)],
  },
  // outdoor
  {
    name: 'Ultralight Two-Person Tent',
    category: 'outdoor',
    brand: 'Trailwright',
    description: 'A freestanding tent under 1.4 kg with two doors and two porches, so nobody climbs over anybody at night.',
    variants: [v('TENT-UL2-GRN', { color: 'forest green' }, 34900)],
  },
  {
    name: 'Down Sleeping Bag -5 °C',
    category: 'outdoor',
    brand: 'Trailwright',
    description: 'Responsibly sourced down in a mummy cut with a draught collar and a two-way zip; packs to the size of a loaf of bread.',
    variants: [v('BAG-DWN-REG', { length: 'regular' }, 27900), v('BAG-DWN-LNG', { length: 'long' }, 29900)],
  },
  {
    name: 'Insulated Steel Bottle 750 ml',
    category: 'outdoor',
    brand: 'Trailwright',
    description:
      'Double-walled stainless steel that keeps tea hot for twelve hours and water cold for a full day, with a leak-proof loop cap.',
    variants: [
      v('BTL-INS-GLC', { color: 'glacier' }, 3200),
      v('BTL-INS-EMB', { color: 'ember' }, 3200),
      v('BTL-INS-STN', { color: 'stone' }, 3200),
    ],
  },
  {
    name: 'Carbon Trekking Poles',
    category: 'outdoor',
    brand: 'Trailwright',
    description: 'A pair of three-section carbon poles with cork grips and lever locks you can work with gloves on.',
    variants: [v('POLE-CRB-PR', { pack: 'pair' }, 8900)],
  },
  // beauty
  {
    name: 'Cold-Pressed Face Oil',
    category: 'beauty',
    brand: 'Moss & Ember',
    description: 'A light blend of rosehip and jojoba oils for dry winter skin, unscented and bottled in violet glass.',
    variants: [v('OIL-FACE-30', { volume: '30 ml' }, 3400)],
  },
  {
    name: 'Shea Hand Balm',
    category: 'beauty',
    brand: 'Moss & Ember',
    description: 'A rich balm for gardeners and dishwashers: shea butter, beeswax and a hint of lavender. Sinks in without leaving a film.',
    variants: [v('BALM-SHEA-75', { volume: '75 ml' }, 1500), v('BALM-SHEA-150', { volume: '150 ml' }, 2400)],
  },
];
