/**
 * A small Espruino module shaped unlike the WebSocket clients, for checking the resident-memory
 * estimate (tools/memory-estimate.ts) against the interpreter on more than one kind of code:
 * mostly tables (strings of several lengths, floats, nested arrays and objects), a class with
 * accessors and a constructor, and a few exported functions with parameters.
 */
export const SYNTHETIC_MODULE = [
  'var UNITS=["mV","mA","degC","percent","lux","hPa","ppm","dBm"];',
  'var LIMITS={temperature:[-40,85,0.5],humidity:[0,100,1.5],pressure:[300,1100,0.12],light:[0,65535,1],voltage:[0,3.3,0.01]};',
  'var MESSAGES={ok:"reading accepted",late:"reading arrived after its window closed",range:"value outside the sensor range",',
  'unit:"unknown unit",busy:"sensor busy, try again later",off:"sensor switched off"};',
  'var CODES={ok:0,late:1,range:2,unit:3,busy:4,off:5,lost:250,reboot:251,watchdog:252};',
  'var CALIBRATION=[1.0125,0.9975,1.25,0.8,1,1,1.5,0.333];',
  'class Reading{constructor(sensor,value,unit){this.sensor=sensor;this.value=value;this.unit=unit}',
  'get scaled(){return this.value*CALIBRATION[this.unit]}set scaled(v){this.value=v/CALIBRATION[this.unit]}',
  'check(limits){var l=LIMITS[limits];return l&&this.value>=l[0]&&this.value<=l[1]?CODES.ok:CODES.range}',
  'describe(){return this.sensor+": "+this.value+" "+UNITS[this.unit]}}',
  'function parse(line,separator){var p=line.split(separator||",");return new Reading(p[0],parseFloat(p[1]),UNITS.indexOf(p[2]))}',
  'function message(code){for(var k in CODES)if(CODES[k]===code)return MESSAGES[k]||k;return "code "+code}',
  'function average(values,from,to){var s=0;for(var i=from;i<to;i++)s+=values[i];return s/(to-from)}',
  'exports.Reading=Reading;exports.parse=parse;exports.message=message;exports.average=average;',
  'exports.version="1.2.3";exports.defaults={interval:1000,retries:3,backoff:1.5,units:UNITS};',
].join('\n');
