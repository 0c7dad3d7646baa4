import { hashOf, createRng } from './random.js'

// Name and address vocabularies for users and orders. Only the reserved
// 555-01xx phone range and example streets are used, so no real person is named.

export const FIRST_NAMES = (
  'James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica ' +
  'Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret Donald Ashley ' +
  'Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah ' +
  'Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Amy Jacob Kathleen Gary Angela ' +
  'Nicholas Shirley Eric Emma Jonathan Brenda Stephen Pamela Larry Nicole Justin Anna Scott Samantha Brandon Katherine ' +
  'Benjamin Christine Samuel Debra Gregory Rachel Alexander Carolyn Patrick Janet Frank Maria Raymond Olivia Jack Heather ' +
  'Dennis Helen Jerry Catherine Tyler Diane Aaron Julie Jose Victoria Adam Joyce Nathan Lauren Henry Kelly Zachary Christina ' +
  'Douglas Ruth Peter Joan Kyle Virginia Noah Judith Ethan Evelyn Jeremy Hannah Christian Andrea Walter Megan Keith Cheryl ' +
  'Austin Jacqueline Roger Madison Terry Teresa Sean Abigail Gerald Sophia Carl Martha Dylan Sara Harold Gloria Jordan Janice ' +
  'Jesse Kathryn Bryan Ann Lawrence Isabella Arthur Judy Gabriel Charlotte Bruce Julia Logan Grace Billy Amber Joe Alice ' +
  'Alan Jean Juan Denise Elijah Frances Willie Danielle Albert Marilyn Wayne Natalie Randy Beverly Mason Diana Vincent Brittany ' +
  'Liam Theresa Roy Kayla Bobby Alexis Caleb Doris Bradley Lori Russell Tiffany Lucas Mia Aiden Chloe Mateo Sofia Hiro Yuki ' +
  'Priya Arjun Wei Mei Omar Fatima Diego Lucia Kwame Amara Ivan Elena Mohammed Aisha Rafael Camila Santiago Valentina Chen Ling'
).split(' ')

export const LAST_NAMES = (
  'Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas ' +
  'Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King ' +
  'Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips ' +
  'Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper ' +
  'Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz ' +
  'Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman ' +
  'Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin ' +
  'Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens ' +
  'Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson ' +
  'Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson ' +
  'Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner ' +
  'Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Cunningham ' +
  'Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards ' +
  'Tanaka Sato Singh Kumar Wang Li Zhang Liu Novak Kowalski Muller Schneider Rossi Russo Dubois Laurent Okafor Mensah Haddad'
).split(' ')

const STREETS = (
  'Maple Oak Pine Cedar Elm Washington Lake Hill Park Main Sunset Highland River Church Willow Spring Ridge Meadow ' +
  'Forest Valley Lincoln Jefferson Madison Franklin Walnut Chestnut Cherry Birch Magnolia Dogwood Harbor Bay Mill'
).split(' ')
const STREET_TYPES = ['Street', 'Avenue', 'Road', 'Lane', 'Drive', 'Court', 'Boulevard', 'Way', 'Place']

// City, state, ZIP prefix: real city/state pairs make the addresses look right.
const CITIES: [string, string, string][] = [
  ['New York', 'NY', '100'], ['Brooklyn', 'NY', '112'], ['Los Angeles', 'CA', '900'], ['San Francisco', 'CA', '941'],
  ['San Diego', 'CA', '921'], ['Chicago', 'IL', '606'], ['Houston', 'TX', '770'], ['Austin', 'TX', '787'],
  ['Dallas', 'TX', '752'], ['Phoenix', 'AZ', '850'], ['Philadelphia', 'PA', '191'], ['Pittsburgh', 'PA', '152'],
  ['Seattle', 'WA', '981'], ['Portland', 'OR', '972'], ['Denver', 'CO', '802'], ['Boston', 'MA', '021'],
  ['Atlanta', 'GA', '303'], ['Miami', 'FL', '331'], ['Orlando', 'FL', '328'], ['Tampa', 'FL', '336'],
  ['Nashville', 'TN', '372'], ['Charlotte', 'NC', '282'], ['Raleigh', 'NC', '276'], ['Columbus', 'OH', '432'],
  ['Cleveland', 'OH', '441'], ['Detroit', 'MI', '482'], ['Minneapolis', 'MN', '554'], ['Kansas City', 'MO', '641'],
  ['St. Louis', 'MO', '631'], ['Salt Lake City', 'UT', '841'], ['Las Vegas', 'NV', '891'], ['Baltimore', 'MD', '212'],
  ['Milwaukee', 'WI', '532'], ['Indianapolis', 'IN', '462'], ['New Orleans', 'LA', '701'], ['Richmond', 'VA', '232'],
  ['Albuquerque', 'NM', '871'], ['Omaha', 'NE', '681'], ['Boise', 'ID', '837'], ['Honolulu', 'HI', '968']
]

/** A person's first and last name for user `id`. */
export function personName (seed: number, id: number): { first: string, last: string } {
  const h = hashOf(seed, 'name', id)
  return { first: FIRST_NAMES[h % FIRST_NAMES.length], last: LAST_NAMES[(h >>> 16) % LAST_NAMES.length] }
}

/**
 * The user's home address, derived from the user id alone so every order of
 * that user ships to the same place.
 */
export function homeAddress (seed: number, userId: number): string {
  const rng = createRng(hashOf(seed, 'address', userId), 'address')
  const [city, state, zip] = rng.pick(CITIES)
  const apartment = rng.chance(0.3) ? `, Apt ${rng.int(1, 40)}${rng.pick(['A', 'B', 'C', ''])}` : ''
  return `${rng.int(10, 9899)} ${rng.pick(STREETS)} ${rng.pick(STREET_TYPES)}${apartment}, ${city}, ${state} ${zip}${String(rng.int(1, 99)).padStart(2, '0')}, USA`
}

/** A phone number in the 555-01xx block reserved for fiction. */
export function phoneNumber (seed: number, id: number): string {
  const h = hashOf(seed, 'phone', id)
  return `+1-${200 + (h % 800)}-555-01${String((h >>> 10) % 100).padStart(2, '0')}`
}
