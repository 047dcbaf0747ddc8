/**
 * The simulator's listed companies: about thirty large NSE names, several
 * also on BSE, with the quirky symbols clients get wrong (`M&M`,
 * `M&MFIN`, `BAJAJ-AUTO`, `NAM-INDIA`) and a penny stock (`IDEA`).
 * NSE tokens match the exchange's instrument tokens; BSE listings use the
 * BSE scrip code as their token. Prices are plausible starting points in
 * rupees, not market data.
 */

export type SimExchange = 'NSE' | 'BSE';

export interface Company {
  symbol: string;
  /** Upper-case company name, as holdings and trades show it. */
  name: string;
  isin: string;
  nseToken: number;
  /** BSE scrip code, when the company is also listed there. */
  bseCode?: number;
  /** Starting price in rupees (the previous close on day one). */
  price: number;
}

export interface Instrument {
  /** `NSE:M&M`. */
  key: string;
  exchange: SimExchange;
  symbol: string;
  token: number;
  company: Company;
  /** Rupees. NSE: 0.01 below ₹250, else 0.05. */
  tickSize: number;
}

export const COMPANIES: readonly Company[] = [
  {
    symbol: 'RELIANCE',
    name: 'RELIANCE INDUSTRIES LIMITED',
    isin: 'INE002A01018',
    nseToken: 2885,
    bseCode: 500325,
    price: 1412.6,
  },
  {
    symbol: 'TCS',
    name: 'TATA CONSULTANCY SERVICES LIMITED',
    isin: 'INE467B01029',
    nseToken: 11536,
    bseCode: 532540,
    price: 3961.35,
  },
  {
    symbol: 'INFY',
    name: 'INFOSYS LIMITED',
    isin: 'INE009A01021',
    nseToken: 1594,
    bseCode: 500209,
    price: 1562.4,
  },
  {
    symbol: 'HDFCBANK',
    name: 'HDFC BANK LIMITED',
    isin: 'INE040A01034',
    nseToken: 1333,
    bseCode: 500180,
    price: 1684.75,
  },
  {
    symbol: 'ICICIBANK',
    name: 'ICICI BANK LIMITED',
    isin: 'INE090A01021',
    nseToken: 4963,
    bseCode: 532174,
    price: 1278.3,
  },
  {
    symbol: 'SBIN',
    name: 'STATE BANK OF INDIA',
    isin: 'INE062A01020',
    nseToken: 3045,
    bseCode: 500112,
    price: 812.45,
  },
  {
    symbol: 'M&M',
    name: 'MAHINDRA & MAHINDRA LIMITED',
    isin: 'INE101A01026',
    nseToken: 2031,
    bseCode: 500520,
    price: 3012.4,
  },
  {
    symbol: 'M&MFIN',
    name: 'MAHINDRA & MAHINDRA FINANCIAL SERVICES LIMITED',
    isin: 'INE774D01024',
    nseToken: 13285,
    bseCode: 532720,
    price: 268.15,
  },
  {
    symbol: 'BAJAJ-AUTO',
    name: 'BAJAJ AUTO LIMITED',
    isin: 'INE917I01010',
    nseToken: 16669,
    bseCode: 532977,
    price: 8915.5,
  },
  {
    symbol: 'NAM-INDIA',
    name: 'NIPPON LIFE INDIA ASSET MANAGEMENT LIMITED',
    isin: 'INE298J01013',
    nseToken: 357,
    price: 718.9,
  },
  {
    symbol: 'IDEA',
    name: 'VODAFONE IDEA LIMITED',
    isin: 'INE669E01016',
    nseToken: 14366,
    bseCode: 532822,
    price: 6.98,
  },
  {
    symbol: 'ACC',
    name: 'ACC LIMITED',
    isin: 'INE012A01025',
    nseToken: 22,
    bseCode: 500410,
    price: 1957,
  },
  {
    symbol: 'ITC',
    name: 'ITC LIMITED',
    isin: 'INE154A01025',
    nseToken: 1660,
    bseCode: 500875,
    price: 425.35,
  },
  {
    symbol: 'LT',
    name: 'LARSEN & TOUBRO LIMITED',
    isin: 'INE018A01030',
    nseToken: 11483,
    bseCode: 500510,
    price: 3548.2,
  },
  {
    symbol: 'AXISBANK',
    name: 'AXIS BANK LIMITED',
    isin: 'INE238A01034',
    nseToken: 5900,
    price: 1148.65,
  },
  {
    symbol: 'KOTAKBANK',
    name: 'KOTAK MAHINDRA BANK LIMITED',
    isin: 'INE237A01028',
    nseToken: 1922,
    price: 1952.1,
  },
  {
    symbol: 'HINDUNILVR',
    name: 'HINDUSTAN UNILEVER LIMITED',
    isin: 'INE030A01027',
    nseToken: 1394,
    price: 2348.55,
  },
  {
    symbol: 'BHARTIARTL',
    name: 'BHARTI AIRTEL LIMITED',
    isin: 'INE397D01024',
    nseToken: 10604,
    price: 1856.3,
  },
  {
    symbol: 'ASIANPAINT',
    name: 'ASIAN PAINTS LIMITED',
    isin: 'INE021A01026',
    nseToken: 236,
    price: 2296.8,
  },
  {
    symbol: 'MARUTI',
    name: 'MARUTI SUZUKI INDIA LIMITED',
    isin: 'INE585B01010',
    nseToken: 10999,
    price: 12540,
  },
  {
    symbol: 'SUNPHARMA',
    name: 'SUN PHARMACEUTICAL INDUSTRIES LIMITED',
    isin: 'INE044A01036',
    nseToken: 3351,
    price: 1702.25,
  },
  {
    symbol: 'TATAMOTORS',
    name: 'TATA MOTORS LIMITED',
    isin: 'INE155A01022',
    nseToken: 3456,
    bseCode: 500570,
    price: 718.4,
  },
  {
    symbol: 'TATASTEEL',
    name: 'TATA STEEL LIMITED',
    isin: 'INE081A01020',
    nseToken: 3499,
    bseCode: 500470,
    price: 151.35,
  },
  {
    symbol: 'WIPRO',
    name: 'WIPRO LIMITED',
    isin: 'INE075A01022',
    nseToken: 3787,
    price: 264.9,
  },
  {
    symbol: 'HCLTECH',
    name: 'HCL TECHNOLOGIES LIMITED',
    isin: 'INE860A01027',
    nseToken: 7229,
    price: 1604.15,
  },
  {
    symbol: 'ONGC',
    name: 'OIL AND NATURAL GAS CORPORATION LIMITED',
    isin: 'INE213A01029',
    nseToken: 2475,
    price: 245.6,
  },
  {
    symbol: 'NTPC',
    name: 'NTPC LIMITED',
    isin: 'INE733E01010',
    nseToken: 11630,
    price: 338.75,
  },
  {
    symbol: 'POWERGRID',
    name: 'POWER GRID CORPORATION OF INDIA LIMITED',
    isin: 'INE752E01010',
    nseToken: 14977,
    price: 298.4,
  },
  {
    symbol: 'YESBANK',
    name: 'YES BANK LIMITED',
    isin: 'INE528G01035',
    nseToken: 11915,
    bseCode: 532648,
    price: 19.05,
  },
  {
    symbol: 'MAHABANK',
    name: 'BANK OF MAHARASHTRA',
    isin: 'INE457A01014',
    nseToken: 11377,
    bseCode: 532525,
    price: 54.2,
  },
  {
    symbol: 'BANKBARODA',
    name: 'BANK OF BARODA',
    isin: 'INE028A01039',
    nseToken: 4668,
    price: 241.1,
  },
  {
    symbol: 'TITAN',
    name: 'TITAN COMPANY LIMITED',
    isin: 'INE280A01028',
    nseToken: 3506,
    price: 3402.7,
  },
];

/** Every listing, NSE first then BSE, keyed `EXCHANGE:SYMBOL`. */
export function listInstruments(): Instrument[] {
  const out: Instrument[] = [];
  for (const company of COMPANIES) {
    const tickSize = company.price < 250 ? 0.01 : 0.05;
    out.push({
      key: `NSE:${company.symbol}`,
      exchange: 'NSE',
      symbol: company.symbol,
      token: company.nseToken,
      company,
      tickSize,
    });
    if (company.bseCode !== undefined) {
      out.push({
        key: `BSE:${company.symbol}`,
        exchange: 'BSE',
        symbol: company.symbol,
        token: company.bseCode,
        company,
        tickSize,
      });
    }
  }
  return out;
}
